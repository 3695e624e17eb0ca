//! Regression: the lattice tables of the i-quant encoders are built lazily on
//! first use, which typically happens inside `encode_rows_par`'s rayon
//! workers. Building them with rayon too could let a waiting worker steal a
//! row job that re-enters the half-built table and deadlock. This binary
//! makes that first use happen in parallel, for several types at once, and
//! fails (instead of hanging) if it does not finish in time.

use std::time::Duration;

use gguf_quant::{codec, encode_rows_par, GgmlType};

#[test]
fn first_use_inside_parallel_rows_finishes() {
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(300));
        eprintln!("lattice first use did not finish within 300 s: deadlock?");
        std::process::exit(1);
    });
    let rows = 16;
    let x: Vec<f32> = (0..256 * rows)
        .map(|i| ((i * 7919 % 1013) as f32 - 506.0) * 1e-3)
        .collect();
    let im = vec![1.0f32; 256];
    let types = [
        GgmlType::IQ2_S,
        GgmlType::IQ3_S,
        GgmlType::IQ1_M,
        GgmlType::IQ2_XS,
        GgmlType::IQ3_XXS,
    ];
    // More workers than cores, so that idle workers steal from the one that
    // builds a table while others wait for it.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(8).build().unwrap();
    pool.install(|| {
        rayon::scope(|s| {
            for ty in types {
                let (x, im) = (&x, &im);
                s.spawn(move |_| {
                    let c = codec(ty).unwrap();
                    let mut q = vec![0u8; c.row_size(256).unwrap() * rows];
                    encode_rows_par(ty, x, 256, &mut q, Some(im)).unwrap();
                });
            }
        })
    });
}
