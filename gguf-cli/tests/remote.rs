//! `gguf inspect URL` and `gguf requant --dry-run URL` against HTTP servers
//! this test starts on 127.0.0.1 (std only, never the internet): one that
//! serves ranges, one that ignores them, redirects to another host, 404s,
//! 5xx, a server that never answers, a split model, `hf://` through
//! `HF_ENDPOINT`. Every server counts the body bytes it sent per request,
//! and the tests bound them by the header's size.
#![cfg(feature = "remote")]

mod common;

use gguf_format::{ops, split::shard_path, split::SplitLimit, GgmlType, Gguf, GgufBuilder, ModelFiles};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A file a server serves: `head`, then zeros up to `len` bytes (so a
/// gigabyte of tensor data costs nothing to hold).
#[derive(Clone)]
struct Body {
    head: Arc<Vec<u8>>,
    len: u64,
}

impl Body {
    fn whole(bytes: Vec<u8>) -> Body {
        let len = bytes.len() as u64;
        Body {
            head: Arc::new(bytes),
            len,
        }
    }

    /// Writes bytes `start..end` to `w` in 64 KiB pieces; returns how many
    /// were written before `w` failed (the client hung up), if it did.
    fn send(&self, w: &mut impl Write, start: u64, end: u64) -> (u64, bool) {
        let mut chunk = vec![0u8; 64 << 10];
        let mut at = start;
        while at < end {
            let n = (end - at).min(chunk.len() as u64) as usize;
            for (i, b) in chunk[..n].iter_mut().enumerate() {
                *b = self.head.get(at as usize + i).copied().unwrap_or(0);
            }
            if w.write_all(&chunk[..n]).is_err() {
                return (at - start, false);
            }
            at += n as u64;
        }
        (at - start, w.flush().is_ok())
    }
}

/// How a server answers.
#[derive(Clone, Default)]
struct Behaviour {
    /// Answer 200 and the whole file, whatever `Range` says.
    ignore_range: bool,
    /// Answer every request with a 302 to this base URL and the same path.
    redirect_to: Option<String>,
    /// Answer 401 unless `Authorization: Bearer TOKEN`.
    require_token: Option<String>,
    /// Read the request and never answer.
    stall: bool,
    /// For the first N requests, send the head and 1000 bytes of the body,
    /// then nothing more.
    stall_body_first: usize,
    /// Answer 503 to the first N requests.
    fail_first: usize,
    /// Answer this status (and no body) to every request.
    status: Option<u16>,
}

/// One request a server answered.
#[derive(Debug, Clone)]
struct Served {
    path: String,
    range: Option<String>,
    authorization: Option<String>,
    status: u16,
    /// Body bytes written to the socket before the answer ended or the
    /// client hung up.
    body_bytes: u64,
}

struct Server {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Served>>>,
    in_flight: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start(files: Vec<(&str, Body)>, behaviour: Behaviour) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let files: Arc<HashMap<String, Body>> =
            Arc::new(files.into_iter().map(|(p, b)| (p.to_string(), b)).collect());
        let log = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let (l, f, s, b) = (log.clone(), in_flight.clone(), stop.clone(), behaviour);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (files, log, in_flight, stop, b, requests) = (
                    files.clone(),
                    l.clone(),
                    f.clone(),
                    s.clone(),
                    b.clone(),
                    requests.clone(),
                );
                std::thread::spawn(move || serve(conn, &files, &b, &log, &in_flight, &stop, &requests));
            }
        });
        Server {
            addr,
            log,
            in_flight,
            stop,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The requests answered so far, once none is being answered (the
    /// client's hang-up reaches the server a little after it exits).
    fn served(&self) -> Vec<Served> {
        let start = Instant::now();
        while self.in_flight.load(Ordering::SeqCst) > 0 && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.log.lock().unwrap().clone()
    }

    fn body_bytes(&self) -> u64 {
        self.served().iter().map(|s| s.body_bytes).sum()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
    }
}

/// Answers the requests of one connection (HTTP/1.1, kept alive).
fn serve(
    conn: TcpStream,
    files: &HashMap<String, Body>,
    b: &Behaviour,
    log: &Mutex<Vec<Served>>,
    in_flight: &AtomicUsize,
    stop: &AtomicBool,
    requests: &AtomicUsize,
) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut w = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        in_flight.fetch_add(1, Ordering::SeqCst);
        let n = requests.fetch_add(1, Ordering::SeqCst);
        let mut served = Served {
            path: path.clone(),
            range: headers.get("range").cloned(),
            authorization: headers.get("authorization").cloned(),
            status: 0,
            body_bytes: 0,
        };
        let ok = answer(&mut w, &path, &headers, files, b, n, stop, &mut served);
        log.lock().unwrap().push(served);
        in_flight.fetch_sub(1, Ordering::SeqCst);
        if !ok {
            return;
        }
    }
}

/// Says nothing more until the client closes the connection (or the server
/// stops, or 20 s pass).
fn wait_for_hang_up(w: &mut TcpStream, stop: &AtomicBool) {
    use std::io::Read;
    let _ = w.set_read_timeout(Some(Duration::from_millis(50)));
    let start = Instant::now();
    let mut byte = [0u8; 1];
    while !stop.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(20) {
        match w.read(&mut byte) {
            Ok(0) => return,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Answers one request; false when the connection is done.
#[allow(clippy::too_many_arguments)]
fn answer(
    w: &mut TcpStream,
    path: &str,
    headers: &HashMap<String, String>,
    files: &HashMap<String, Body>,
    b: &Behaviour,
    n: usize,
    stop: &AtomicBool,
    served: &mut Served,
) -> bool {
    let head = |w: &mut TcpStream, status: u16, reason: &str, extra: &str, len: u64| {
        write!(
            w,
            "HTTP/1.1 {status} {reason}\r\nContent-Length: {len}\r\n{extra}\r\n"
        )
        .is_ok()
    };
    if b.stall {
        wait_for_hang_up(w, stop);
        return false;
    }
    if n < b.fail_first {
        served.status = 503;
        return head(w, 503, "Service Unavailable", "", 0);
    }
    if let Some(s) = b.status {
        served.status = s;
        return head(w, s, "Whatever", "", 0);
    }
    if let Some(token) = &b.require_token {
        if headers.get("authorization") != Some(&format!("Bearer {token}")) {
            served.status = 401;
            return head(w, 401, "Unauthorized", "", 0);
        }
    }
    if let Some(to) = &b.redirect_to {
        served.status = 302;
        return head(w, 302, "Found", &format!("Location: {to}{path}\r\n"), 0);
    }
    let Some(body) = files.get(path) else {
        served.status = 404;
        return head(w, 404, "Not Found", "", 0);
    };
    let range = headers
        .get("range")
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split_once('-'))
        .map(|(a, z)| (a.parse::<u64>().unwrap(), z.parse::<u64>().ok()));
    let (status, start, end) = match range {
        Some((a, _)) if !b.ignore_range && a >= body.len => {
            served.status = 416;
            return head(
                w,
                416,
                "Range Not Satisfiable",
                &format!("Content-Range: bytes */{}\r\n", body.len),
                0,
            );
        }
        Some((a, z)) if !b.ignore_range => (206, a, z.map_or(body.len, |z| (z + 1).min(body.len))),
        _ => (200, 0, body.len),
    };
    served.status = status;
    let ok = if status == 206 {
        head(
            w,
            206,
            "Partial Content",
            &format!("Content-Range: bytes {start}-{}/{}\r\n", end - 1, body.len),
            end - start,
        )
    } else {
        head(w, 200, "OK", "", body.len)
    };
    if !ok {
        return false;
    }
    if n < b.stall_body_first {
        let (sent, _) = body.send(w, start, end.min(start + 1000));
        served.body_bytes = sent;
        wait_for_hang_up(w, stop);
        return false;
    }
    let (sent, ok) = body.send(w, start, end);
    served.body_bytes = sent;
    ok
}

/// Runs `gguf ARGS` with no token, endpoint, timeout or proxy from the
/// environment but those in `env`.
fn gguf(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gguf"));
    c.args(args);
    for k in [
        "HF_TOKEN",
        "HF_ENDPOINT",
        "GGUF_HTTP_TIMEOUT",
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        c.env_remove(k);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `gguf ARGS` must succeed; its standard output.
fn ok(args: &[&str], env: &[(&str, &str)]) -> String {
    let o = gguf(args, env);
    assert!(o.status.success(), "gguf {args:?}: {}", stderr(&o));
    stdout(&o)
}

/// `gguf ARGS` must fail with exit code 2 and one line on stderr; that line.
fn fails(args: &[&str], env: &[(&str, &str)]) -> String {
    let o = gguf(args, env);
    assert_eq!(
        o.status.code(),
        Some(2),
        "gguf {args:?}: {}{}",
        stdout(&o),
        stderr(&o)
    );
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    err.trim_end().to_string()
}

/// `head` then `extra`.
fn args<'a>(head: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    [head, extra].concat()
}

fn testdata(name: &str) -> Vec<u8> {
    std::fs::read(common::workspace().join("testdata").join(name)).unwrap()
}

/// Where the header ends: tensor infos and padding (what must be read).
fn header_len(bytes: &[u8]) -> u64 {
    Gguf::parse_header(bytes).unwrap().tensor_infos_end()
}

/// The first-read size of `gguf_format::FIRST_READ`, the slack its later
/// reads add (1/16 of the guess and 16 KiB), and a margin for the guess.
fn bound(header: u64) -> u64 {
    (header + header / 8 + (16 << 10)).max(gguf_format::FIRST_READ)
}

/// The same output for a URL as for the local file, once the paths are
/// put the same.
fn assert_same_output(url_args: &[&str], url: &str, file_args: &[&str], file: &str, env: &[(&str, &str)]) {
    let from_url = ok(url_args, env).replace(url, "PATH");
    let from_file = ok(file_args, &[]).replace(file, "PATH");
    assert_eq!(from_url, from_file, "{url_args:?} vs {file_args:?}");
}

#[test]
fn a_url_inspects_as_the_downloaded_file() {
    let names = [
        "tiny-llama-f16.gguf",
        "tiny-llama-f32-be.gguf",
        "all-value-types.gguf",
        "all-ggml-types.gguf",
        "v1-small.gguf",
        "aligned-64.gguf",
    ];
    let files: Vec<(String, Body)> = names
        .iter()
        .map(|n| (format!("/m/{n}"), Body::whole(testdata(n))))
        .collect();
    let server = Server::start(
        files.iter().map(|(p, b)| (p.as_str(), b.clone())).collect(),
        Behaviour::default(),
    );
    for name in names {
        let url = server.url(&format!("/m/{name}"));
        let path = common::workspace().join("testdata").join(name);
        let file = path.to_str().unwrap();
        for extra in [
            &["--json"][..],
            &[],
            &["--json", "--max-array", "3", "--tensors", "blk.1.*"],
            &["--no-tensors", "--full"],
            &["--key", "general.architecture"],
        ] {
            assert_same_output(
                &args(&["inspect", &url], extra),
                &url,
                &args(&["inspect", file], extra),
                file,
                &[],
            );
        }
    }
    // Every request asked for a range and got it.
    assert!(server
        .served()
        .iter()
        .all(|s| s.status == 206 && s.range.is_some()));
}

#[test]
fn cut_off_data_is_reported_as_for_the_file() {
    // The file ends in the middle of its tensor data: the size the server
    // gives is the file's, so the warning is the same.
    let mut bytes = testdata("tiny-llama-f32.gguf");
    bytes.truncate(bytes.len() - 1000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.gguf");
    std::fs::write(&path, &bytes).unwrap();
    let server = Server::start(vec![("/cut.gguf", Body::whole(bytes))], Behaviour::default());
    let url = server.url("/cut.gguf");
    let file = path.to_str().unwrap();
    assert_same_output(
        &["inspect", "--json", &url],
        &url,
        &["inspect", "--json", file],
        file,
        &[],
    );
    assert!(ok(&["inspect", &url], &[]).contains("tensor data is cut off"));
}

/// A big-vocabulary model behind a file of tensor data much larger than
/// the header: `gguf inspect` reads the header in two requests and moves
/// little more than it.
#[test]
fn a_big_vocabulary_header_takes_two_requests() {
    let model = gguf_testdata::big_vocab_model(262_144);
    let header = header_len(&model);
    let server = Server::start(
        vec![("/big.gguf", Body::whole(model.clone()))],
        Behaviour::default(),
    );
    let url = server.url("/big.gguf");
    let out = ok(&["inspect", "--json", "--max-array", "4", &url], &[]);
    let served = server.served();
    assert_eq!(served.len(), 2, "{served:?}");
    let moved = server.body_bytes();
    assert!(
        moved >= header && moved <= header + header / 8 + (16 << 10),
        "{moved} bytes for a {header}-byte header"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.gguf");
    std::fs::write(&path, &model).unwrap();
    let local = ok(
        &["inspect", "--json", "--max-array", "4", path.to_str().unwrap()],
        &[],
    );
    assert_eq!(
        out.replace(&url, "PATH"),
        local.replace(path.to_str().unwrap(), "PATH")
    );
}

/// A model shaped like gemma-3-270m in F16 (262,144 tokens, width 640, 18
/// layers: a 6.5-7.8 MB header in front of about 0.5 GB of tensors), the
/// tensor data served as zeros; and the same as a sparse local file.
fn gemma_sized_big_vocabulary(dir: &Path) -> (Body, u64, std::path::PathBuf) {
    let small = gguf_testdata::big_vocab_model(262_144);
    let g = Gguf::parse(&small).unwrap();
    let mut b = GgufBuilder::new();
    b.extend_metadata(&g).unwrap();
    b.add_tensor("token_embd.weight", &[640, 262_144], GgmlType::F16)
        .unwrap();
    for i in 0..18 {
        let t = |n: &str| format!("blk.{i}.{n}.weight");
        b.add_tensor(t("attn_norm"), &[640], GgmlType::F32).unwrap();
        for (n, dims) in [
            ("attn_q", [640, 1024]),
            ("attn_k", [640, 256]),
            ("attn_v", [640, 256]),
            ("attn_output", [1024, 640]),
            ("ffn_gate", [640, 2048]),
            ("ffn_up", [640, 2048]),
            ("ffn_down", [2048, 640]),
        ] {
            b.add_tensor(t(n), &dims, GgmlType::F16).unwrap();
        }
    }
    let len = b.file_size().unwrap();
    let mut head = Vec::new();
    drop(b.write_header(&mut head).unwrap());
    let header = header_len(&head);
    let path = dir.join("gemma-sized.gguf");
    let f = std::fs::File::create(&path).unwrap();
    std::io::Write::write_all(&mut &f, &head).unwrap();
    f.set_len(len).unwrap();
    let body = Body {
        head: Arc::new(head),
        len,
    };
    (body, header, path)
}

/// The bound on a model of realistic size: a 262,144-token header
/// in two requests, and under 10 % of the file moved (about 1.5 %).
#[test]
fn a_big_vocabulary_model_moves_under_a_tenth_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (body, header, path) = gemma_sized_big_vocabulary(dir.path());
    let len = body.len;
    let server = Server::start(vec![("/gemma.gguf", body)], Behaviour::default());
    let url = server.url("/gemma.gguf");
    assert_same_output(
        &["inspect", "--json", "--max-array", "4", "--ctx", "8192", &url],
        &url,
        &[
            "inspect",
            "--json",
            "--max-array",
            "4",
            "--ctx",
            "8192",
            path.to_str().unwrap(),
        ],
        path.to_str().unwrap(),
        &[],
    );
    let moved = server.body_bytes();
    assert_eq!(server.served().len(), 2, "two requests");
    assert!(moved <= bound(header), "{moved} bytes for a {header}-byte header");
    assert!(moved * 10 < len, "{moved} bytes of a {len}-byte file");
}

/// A model of 1 GiB whose header is small.
fn big_file() -> (Body, u64) {
    let mut b = GgufBuilder::new();
    b.push("general.architecture", "llama").unwrap();
    b.push("general.name", "one gigabyte").unwrap();
    for i in 0..16 {
        b.add_tensor(format!("blk.{i}.ffn_up.weight"), &[4096, 4096], GgmlType::F32)
            .unwrap();
    }
    let len = b.file_size().unwrap();
    let mut head = Vec::new();
    drop(b.write_header(&mut head).unwrap());
    let header = header_len(&head);
    (
        Body {
            head: Arc::new(head),
            len,
        },
        header,
    )
}

#[test]
fn a_server_that_ignores_range_is_read_only_up_to_the_header() {
    let (body, header) = big_file();
    assert!(body.len > 1 << 30);
    let server = Server::start(
        vec![("/big.gguf", body.clone())],
        Behaviour {
            ignore_range: true,
            ..Behaviour::default()
        },
    );
    let url = server.url("/big.gguf");
    let out = ok(&["inspect", "--json", &url], &[]);
    let served = server.served();
    assert_eq!(served.len(), 1, "{served:?}");
    assert_eq!(served[0].status, 200);
    // What the socket buffers took before the client hung up, not the file.
    let moved = server.body_bytes();
    assert!(moved < header + (64 << 20), "{moved} of {} bytes sent", body.len);
    // The same as the file (sparse: a gigabyte of zeros costs no disk).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.gguf");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&body.head).unwrap();
    f.set_len(body.len).unwrap();
    drop(f);
    let local = ok(&["inspect", "--json", path.to_str().unwrap()], &[]);
    assert_eq!(
        out.replace(&url, "PATH"),
        local.replace(path.to_str().unwrap(), "PATH")
    );
    assert!(out.contains("\"data_complete\": true"));
}

#[test]
fn ranged_reads_of_a_big_file_move_the_header_and_a_first_block() {
    let (body, header) = big_file();
    let server = Server::start(vec![("/big.gguf", body)], Behaviour::default());
    ok(&["inspect", &server.url("/big.gguf")], &[]);
    let served = server.served();
    assert_eq!(served.len(), 1, "{served:?}");
    assert_eq!(served[0].range.as_deref(), Some("bytes=0-1048575"));
    assert!(server.body_bytes() <= bound(header));
}

#[test]
fn a_redirect_to_another_host_does_not_carry_the_token() {
    let bytes = testdata("tiny-llama-f16.gguf");
    let cdn = Server::start(vec![("/o/r/m.gguf", Body::whole(bytes))], Behaviour::default());
    let hub = Server::start(
        Vec::new(),
        Behaviour {
            redirect_to: Some(cdn.url("")),
            require_token: Some("secret".into()),
            ..Behaviour::default()
        },
    );
    let url = hub.url("/o/r/m.gguf");
    let out = ok(
        &["inspect", "--key", "general.name", &url],
        &[("HF_TOKEN", "secret")],
    );
    assert_eq!(out, "tiny-llama\n");
    let asked = hub.served();
    assert_eq!(
        asked.len(),
        1,
        "later ranges go straight to where the redirect led"
    );
    assert_eq!(asked[0].authorization.as_deref(), Some("Bearer secret"));
    assert_eq!(asked[0].status, 302);
    let got = cdn.served();
    assert!(!got.is_empty());
    // Another port is another host: the token stays behind.
    assert!(got.iter().all(|s| s.authorization.is_none()), "{got:?}");

    // Without a token the hub refuses, in one line that says what to do.
    let err = fails(&["inspect", &url], &[]);
    assert_eq!(
        err,
        format!("gguf: {url}: HTTP 401 Unauthorized (set HF_TOKEN if the file needs a login)")
    );
}

#[test]
fn hf_urls_go_to_the_hub_or_hf_endpoint() {
    let bytes = testdata("tiny-llama-f16.gguf");
    let server = Server::start(
        vec![
            ("/org/repo/resolve/main/sub/m.gguf", Body::whole(bytes.clone())),
            (
                "/org/repo/resolve/v2/m.gguf",
                Body::whole(testdata("tiny-llama-f32.gguf")),
            ),
        ],
        Behaviour::default(),
    );
    let env = [("HF_ENDPOINT", server.url(""))];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let json = ok(&["inspect", "--json", "hf://org/repo/sub/m.gguf"], &env);
    assert!(
        json.contains("\"path\": \"hf://org/repo/sub/m.gguf\""),
        "the path as given"
    );
    assert_eq!(
        ok(
            &["inspect", "--key", "general.file_type", "hf://org/repo@v2/m.gguf"],
            &env
        ),
        "0\n"
    );
    assert_eq!(
        fails(&["inspect", "hf://org/repo/none.gguf"], &env),
        "gguf: hf://org/repo/none.gguf: HTTP 404 Not Found"
    );
    assert_eq!(
        fails(&["inspect", "hf://org/m.gguf"], &env),
        "gguf: hf://org/m.gguf: an hf:// URL is hf://OWNER/REPO[@REVISION]/FILE"
    );
}

#[test]
fn http_errors_are_one_line_with_the_status() {
    let server = Server::start(Vec::new(), Behaviour::default());
    let url = server.url("/missing.gguf");
    assert_eq!(
        fails(&["inspect", &url], &[]),
        format!("gguf: {url}: HTTP 404 Not Found")
    );
    for (status, line) in [
        (416, "HTTP 416 Range Not Satisfiable"),
        (403, "HTTP 403 Forbidden (set HF_TOKEN if the file needs a login)"),
    ] {
        let server = Server::start(
            Vec::new(),
            Behaviour {
                status: Some(status),
                ..Behaviour::default()
            },
        );
        let url = server.url("/m.gguf");
        assert_eq!(fails(&["inspect", &url], &[]), format!("gguf: {url}: {line}"));
    }
    // Several files: the good one is shown, the bad one named, exit 2.
    let good = Server::start(
        vec![("/m.gguf", Body::whole(testdata("v2-small.gguf")))],
        Behaviour::default(),
    );
    let o = gguf(&["inspect", "--json", &good.url("/m.gguf"), &url], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains(&format!("\"error\": \"{url}: HTTP 404 Not Found\"")),
        "{}",
        stdout(&o)
    );
    // Not a server at all: nothing listens on a port just closed.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let url = format!("http://{closed}/m.gguf");
    let err = fails(&["inspect", &url], &[]);
    assert!(
        err.starts_with(&format!("gguf: {url}: ")) && err.ends_with("(3 attempts)"),
        "{err}"
    );
}

#[test]
fn a_server_error_is_tried_again_a_bounded_number_of_times() {
    let bytes = testdata("tiny-llama-f16.gguf");
    let flaky = Server::start(
        vec![("/m.gguf", Body::whole(bytes.clone()))],
        Behaviour {
            fail_first: 2,
            ..Behaviour::default()
        },
    );
    assert_eq!(
        ok(&["inspect", "--key", "general.name", &flaky.url("/m.gguf")], &[]),
        "tiny-llama\n"
    );
    let statuses: Vec<u16> = flaky.served().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [503, 503, 206]);

    let down = Server::start(
        vec![("/m.gguf", Body::whole(bytes))],
        Behaviour {
            fail_first: 100,
            ..Behaviour::default()
        },
    );
    let url = down.url("/m.gguf");
    assert_eq!(
        fails(&["inspect", &url], &[]),
        format!("gguf: {url}: HTTP 503 Service Unavailable (3 attempts)")
    );
    assert_eq!(down.served().len(), 3);
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = Server::start(
        Vec::new(),
        Behaviour {
            stall: true,
            ..Behaviour::default()
        },
    );
    let url = server.url("/m.gguf");
    let start = Instant::now();
    let err = fails(&["inspect", &url], &[("GGUF_HTTP_TIMEOUT", "0.3")]);
    let took = start.elapsed();
    assert_eq!(err, format!("gguf: {url}: no answer within 0.3 s (3 attempts)"));
    // Three timeouts and two pauses (0.5 s, 1 s), not 20 s of a stalled server.
    assert!(took < Duration::from_secs(8), "{took:?}");
    assert_eq!(
        fails(&["inspect", &url], &[("GGUF_HTTP_TIMEOUT", "soon")])
            .lines()
            .count(),
        1
    );
}

#[test]
fn an_answer_that_stalls_part_way_is_asked_again_from_where_it_stopped() {
    let bytes = testdata("tiny-llama-f16.gguf");
    let once = Server::start(
        vec![("/m.gguf", Body::whole(bytes.clone()))],
        Behaviour {
            stall_body_first: 1,
            ..Behaviour::default()
        },
    );
    let env = [("GGUF_HTTP_TIMEOUT", "0.3")];
    assert_eq!(
        ok(&["inspect", "--key", "general.name", &once.url("/m.gguf")], &env),
        "tiny-llama\n"
    );
    let ranges: Vec<Option<String>> = once.served().into_iter().map(|s| s.range).collect();
    assert_eq!(
        ranges,
        [Some("bytes=0-1048575".into()), Some("bytes=1000-1048575".into())]
    );

    let always = Server::start(
        vec![("/m.gguf", Body::whole(bytes))],
        Behaviour {
            stall_body_first: 100,
            ..Behaviour::default()
        },
    );
    let url = always.url("/m.gguf");
    assert_eq!(
        fails(&["inspect", &url], &env),
        format!("gguf: {url}: no data within 0.3 s")
    );
    assert_eq!(always.served().len(), 3, "the request and two resumes");
}

/// tiny-llama-f32 split in three: the shards' bytes, by name.
fn split_model(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let files = ModelFiles::open(common::workspace().join("testdata/tiny-llama-f32.gguf")).unwrap();
    let model = files.parse().unwrap();
    let outputs = ops::split(&model, SplitLimit::Tensors(8), false).unwrap();
    assert_eq!(outputs.len(), 3);
    outputs
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let bytes = o.write_to(&model, Vec::new(), &mut |_| {}).unwrap();
            (shard_path(prefix, i, outputs.len()), bytes)
        })
        .collect()
}

#[test]
fn a_split_model_reads_every_shard_from_sibling_urls() {
    let shards = split_model("/models/tiny");
    let server = Server::start(
        shards
            .iter()
            .map(|(p, b)| (p.as_str(), Body::whole(b.clone())))
            .collect(),
        Behaviour::default(),
    );
    let dir = tempfile::tempdir().unwrap();
    for (p, b) in &shards {
        std::fs::write(dir.path().join(Path::new(p).file_name().unwrap()), b).unwrap();
    }
    let local_dir = dir.path().to_str().unwrap();
    let first_url = server.url("/models/tiny-00001-of-00003.gguf");
    let first_file = format!("{local_dir}/tiny-00001-of-00003.gguf");
    // Shard paths differ by their directory only.
    let url_dir = server.url("/models");
    for extra in [&["--json"][..], &[], &["--ctx", "4096", "--no-metadata"]] {
        let u = ok(&args(&["inspect", &first_url], extra), &[]).replace(&url_dir, "DIR");
        let f = ok(&args(&["inspect", &first_file], extra), &[]).replace(local_dir, "DIR");
        assert_eq!(u, f);
    }
    let json = ok(&["inspect", "--json", &first_url], &[]);
    assert!(json.contains("\"shards\": ["));
    let served = server.served();
    assert!(served.iter().all(|s| s.status == 206));
    for (p, _) in &shards {
        assert!(served.iter().any(|s| &s.path == p), "{p} read");
    }

    // One shard alone, and a later shard refused by name, as for files.
    let second_url = server.url("/models/tiny-00002-of-00003.gguf");
    let alone = ok(&["inspect", "--single-file", "--json", &second_url], &[]);
    assert!(alone.contains("\"tensor_count\": 8"));
    assert_eq!(
        fails(&["inspect", &second_url], &[]),
        format!("gguf: {second_url} is shard 2 of 3 of a split model: open its first shard, {first_url}")
    );

    // A missing shard is named.
    let partial = Server::start(
        shards[..2]
            .iter()
            .map(|(p, b)| (p.as_str(), Body::whole(b.clone())))
            .collect(),
        Behaviour::default(),
    );
    let third = partial.url("/models/tiny-00003-of-00003.gguf");
    assert_eq!(
        fails(
            &["inspect", &partial.url("/models/tiny-00001-of-00003.gguf")],
            &[]
        ),
        format!("gguf: {third}: shard 3 of 3 of the split model cannot be opened: HTTP 404 Not Found")
    );
}

#[test]
fn shards_of_a_big_model_move_their_headers_and_first_blocks() {
    // Three shards of a gigabyte each: three first reads, nothing of the data.
    let (body, header) = big_file();
    let g = Gguf::parse_header(&body.head).unwrap();
    let mut files = Vec::new();
    for i in 0..3u16 {
        let mut b = GgufBuilder::new();
        b.extend_metadata(&g).unwrap();
        b.push("split.no", i).unwrap();
        b.push("split.count", 3u16).unwrap();
        b.push("split.tensors.count", 48i32).unwrap();
        for t in g.tensors() {
            b.add_tensor(format!("{}.{i}", t.name), t.dims(), t.ggml_type)
                .unwrap();
        }
        let len = b.file_size().unwrap();
        let mut head = Vec::new();
        drop(b.write_header(&mut head).unwrap());
        files.push((
            shard_path("/s/big", usize::from(i), 3),
            Body {
                head: Arc::new(head),
                len,
            },
        ));
    }
    let server = Server::start(
        files.iter().map(|(p, b)| (p.as_str(), b.clone())).collect(),
        Behaviour::default(),
    );
    let out = ok(
        &[
            "inspect",
            "--json",
            "--no-tensors",
            &server.url("/s/big-00001-of-00003.gguf"),
        ],
        &[],
    );
    assert!(out.contains(&format!("\"file_size\": {}", 3 * files[0].1.len)));
    assert!(out.contains("\"tensor_count\": 48"));
    let served = server.served();
    assert_eq!(served.len(), 3, "{served:?}");
    // The first shard's first block, and 64 KiB of each later one.
    assert!(
        server.body_bytes() <= bound(header) + 2 * (64 << 10),
        "{}",
        server.body_bytes()
    );
}

#[test]
fn requant_dry_run_reads_a_url_and_nothing_else_does() {
    let name = "tiny-llama-f16.gguf";
    let server = Server::start(
        vec![("/m.gguf", Body::whole(testdata(name)))],
        Behaviour::default(),
    );
    let url = server.url("/m.gguf");
    let path = common::workspace().join("testdata").join(name);
    let file = path.to_str().unwrap();
    for extra in [
        &["--to", "q8_0", "--json"][..],
        &["--to", "q4_k_m"],
        &["--to", "all", "--ctx", "4096"],
        &["--to", "all", "--json"],
    ] {
        let (u, f) = (
            ["requant", "--dry-run", "-q", &url],
            ["requant", "--dry-run", "-q", file],
        );
        assert_same_output(&args(&u, extra), &url, &args(&f, extra), file, &[]);
    }
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("out.gguf");
    let needs_data = format!(
        "gguf: {url}: requant needs the tensor data, which is not read from a URL: download the model first \
         (--dry-run without --quality works on a URL)"
    );
    assert_eq!(
        fails(&["requant", "--to", "q8_0", &url, target.to_str().unwrap()], &[]),
        needs_data
    );
    assert_eq!(
        fails(&["requant", "--dry-run", "--quality", "--to", "q8_0", &url], &[]),
        needs_data
    );
    assert!(!target.exists());
}

/// The speed check of the issue, in a release build:
/// `cargo test --release -p gguf-cli --test remote -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement: run in a release build"]
fn speed_of_a_big_vocabulary_over_loopback() {
    let model = gguf_testdata::big_vocab_model(262_144);
    let header = header_len(&model);
    let size = model.len() as u64;
    for ignore_range in [false, true] {
        let server = Server::start(
            vec![("/big.gguf", Body::whole(model.clone()))],
            Behaviour {
                ignore_range,
                ..Behaviour::default()
            },
        );
        let url = server.url("/big.gguf");
        let mut times = Vec::new();
        for _ in 0..10 {
            let start = Instant::now();
            ok(&["inspect", &url], &[]);
            times.push(start.elapsed());
        }
        times.sort();
        let served = server.served();
        let moved = server.body_bytes() / 10;
        eprintln!(
            "{}: 262,144 tokens, header {header} bytes of {size}: {} request(s) per run, {moved} bytes moved per \
             run ({:.1} % of the file, {:.1} % more than the header), median {:?} (fastest {:?}) per whole \
             `gguf inspect URL`",
            if ignore_range { "server ignoring Range" } else { "range requests" },
            served.len() / 10,
            moved as f64 * 100.0 / size as f64,
            (moved as f64 - header as f64) * 100.0 / header as f64,
            times[5],
            times[0]
        );
    }
}
