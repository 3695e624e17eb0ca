//! The writer's byte-order contract (`GgufBuilder::set_byte_order`): tensor
//! data is taken in the builder's data byte order and converted to the file's
//! by each type's layout, however it is cut into chunks.

use gguf_format::endian::swap_tensor_data;
use gguf_format::{write_atomic, ByteOrder, GgmlType, Gguf, GgufBuilder, GgufFile, GGML_TYPES};
use std::path::PathBuf;

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(name)
}

/// Deterministic bytes that make every swapped field differ from the original.
fn bytes(n: usize, seed: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + seed * 13 + 1) as u8).collect()
}

#[test]
fn big_endian_builder_given_little_endian_floats_reads_back_the_same_values() {
    let values: Vec<f32> = (0..64).map(|i| i as f32 * 0.25 - 3.0).collect();
    let le: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();

    let mut b = GgufBuilder::new();
    b.set_byte_order(ByteOrder::Big)
        .set_data_byte_order(ByteOrder::Little);
    b.add_tensor("w", &[64], GgmlType::F32).unwrap();
    let mut tw = b.write_header(Vec::new()).unwrap();
    // Chunks that cut the 4-byte floats anywhere.
    for piece in [&le[..3], &le[3..4], &le[4..103], &le[103..]] {
        tw.write_chunk(piece).unwrap();
    }
    let out = tw.finish().unwrap();

    let g = Gguf::parse(&out).unwrap();
    assert_eq!(g.byte_order(), ByteOrder::Big);
    let data = g.tensor_data(g.tensor("w").unwrap()).unwrap();
    let read: Vec<f32> = data
        .chunks_exact(4)
        .map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(read, values);
}

#[test]
fn every_type_is_swapped_by_its_layout_however_the_chunks_fall() {
    let mut b = GgufBuilder::new();
    b.set_byte_order(ByteOrder::Big)
        .set_data_byte_order(ByteOrder::Little);
    let mut data = Vec::new();
    for (i, t) in GGML_TYPES.iter().enumerate() {
        let dims = [u64::from(t.block_size) * 3, 2];
        b.add_tensor(t.name, &dims, t.ty).unwrap();
        data.push(bytes(t.type_size as usize * 6, i));
    }

    // Whole tensors, then chunks of 1, 2, 3, … bytes cutting blocks anywhere.
    let mut tw = b.write_header(Vec::new()).unwrap();
    for d in &data {
        tw.write_tensor(d).unwrap();
    }
    let whole = tw.finish().unwrap();
    let mut tw = b.write_header(Vec::new()).unwrap();
    for d in &data {
        let (mut rest, mut n) = (&d[..], 1);
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(n.min(rest.len()));
            tw.write_chunk(chunk).unwrap();
            rest = tail;
            n += 1;
        }
    }
    let chunked = tw.finish().unwrap();
    assert_eq!(whole, chunked, "the chunking changes nothing");

    let g = Gguf::parse(&whole).unwrap();
    for (t, d) in g.tensors().iter().zip(&data) {
        let mut want = d.clone();
        swap_tensor_data(t.ggml_type, &mut want).unwrap();
        assert_eq!(g.tensor_data(t).unwrap(), &want[..], "{}", t.name);
    }
}

#[test]
fn the_data_byte_order_is_little_endian_unless_stated() {
    let mut b = GgufBuilder::new();
    assert_eq!(b.data_byte_order(), ByteOrder::Little);
    b.set_byte_order(ByteOrder::Big);
    assert_eq!(
        b.data_byte_order(),
        ByteOrder::Little,
        "unstated: little-endian data, converted to the file's order"
    );
    b.add_tensor("x", &[2], GgmlType::F32).unwrap();
    let mut w = b.write_header(Vec::new()).unwrap();
    w.write_tensor(&[1.5f32.to_le_bytes(), (-2.25f32).to_le_bytes()].concat())
        .unwrap();
    let out = w.finish().unwrap();
    let g = Gguf::parse(&out).unwrap();
    assert_eq!(g.byte_order(), ByteOrder::Big);
    let data = g.tensor_data(&g.tensors()[0]).unwrap();
    let back: Vec<f32> = data
        .chunks(4)
        .map(|c| f32::from_be_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(back, [1.5, -2.25], "a big-endian header over big-endian data");
    let mut b = GgufBuilder::new();
    b.set_data_byte_order(ByteOrder::Little)
        .set_byte_order(ByteOrder::Little);
    assert_eq!(b.data_byte_order(), ByteOrder::Little);

    let file = GgufFile::open(path("tiny-llama-f32-be.gguf")).unwrap();
    let be = file.parse().unwrap();
    let mut b = GgufBuilder::from_gguf(&be).unwrap();
    b.set_byte_order(ByteOrder::Little);
    assert_eq!(b.data_byte_order(), ByteOrder::Big, "the source file's");
}

/// `tiny-llama-f32-be.gguf` is the generator's big-endian twin of
/// `tiny-llama-f32.gguf`: the builder gets from one to the other with the
/// source file's own tensor data, in either direction.
#[test]
fn builder_from_a_file_converts_its_data_to_the_other_byte_order() {
    let le_file = GgufFile::open(path("tiny-llama-f32.gguf")).unwrap();
    let be_file = GgufFile::open(path("tiny-llama-f32-be.gguf")).unwrap();
    for (from, to, order) in [
        (&le_file, &be_file, ByteOrder::Big),
        (&be_file, &le_file, ByteOrder::Little),
    ] {
        let g = from.parse().unwrap();
        let mut b = GgufBuilder::from_gguf(&g).unwrap();
        b.set_byte_order(order);
        let mut tw = b.write_header(Vec::new()).unwrap();
        for t in g.tensors() {
            let d = g.tensor_data(t).unwrap();
            // An odd split point: not on a float's boundary.
            let cut = (d.len() / 3) | 1;
            tw.write_chunk(&d[..cut]).unwrap();
            tw.write_chunk(&d[cut..]).unwrap();
        }
        let out = tw.finish().unwrap();
        assert!(out == to.as_bytes(), "{} → {order}", from.path().display());
    }
}

/// A tensor to be converted is never copied file to file, even when it is
/// large enough for `copy_file_range`.
#[test]
fn copy_tensor_converts_instead_of_copying() {
    let le_file = GgufFile::open(path("tiny-llama-f32.gguf")).unwrap();
    let be_file = GgufFile::open(path("tiny-llama-f32-be.gguf")).unwrap();
    let g = le_file.parse().unwrap();
    assert!(g.tensors().iter().any(|t| t.n_bytes().unwrap() >= 1 << 16));
    let mut b = GgufBuilder::from_gguf(&g).unwrap();
    b.set_byte_order(ByteOrder::Big);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("be.gguf");
    write_atomic(&out, |w| {
        let mut tw = b.write_header(w)?;
        for t in g.tensors() {
            let source = le_file.file().map(|f| (f, g.tensor_range(t).unwrap().start));
            tw.copy_tensor(g.tensor_data(t)?, source)?;
        }
        tw.finish().map(drop)
    })
    .unwrap();
    assert!(std::fs::read(&out).unwrap() == be_file.as_bytes());
}
