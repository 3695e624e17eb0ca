//! Models on web servers, read as [`gguf_format::ModelFiles`] (what
//! `gguf inspect URL` and `gguf requant --dry-run URL` read): `http://…`
//! and `https://…` URLs, and `hf://OWNER/REPO[@REVISION]/FILE` for a file
//! on the Hugging Face Hub. Only the header is read, by HTTP
//! range requests that grow as the parser needs
//! ([`gguf_format::GgufFile::read_header`]);
//! the tensor data never is. A split model's other shards are read from the
//! sibling URLs. The HTTP client (ureq, with rustls) is behind the `http`
//! cargo feature (on by default); without it [`open`] says so, and
//! [`is_url`] and [`hf_url`] still work.
//!
//! The environment: `HF_TOKEN` is sent as `Authorization: Bearer` to the
//! host named in the URL, and to no other (not across a redirect to a CDN);
//! `HF_ENDPOINT` replaces `https://huggingface.co` for `hf://`;
//! `GGUF_HTTP_TIMEOUT` is the connect and read timeout in seconds (30).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use gguf_format::{Error, ModelFiles};

/// Whether `s` names a model on a web server rather than a file:
/// `http://`, `https://` or `hf://` (the scheme in any case).
pub fn is_url(s: &str) -> bool {
    let scheme = s.split_once("://").map_or("", |(scheme, _)| scheme);
    ["http", "https", "hf"]
        .iter()
        .any(|k| scheme.eq_ignore_ascii_case(k))
}

/// An `hf://` URL that is not `hf://OWNER/REPO[@REVISION]/FILE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadHfUrl;

impl std::fmt::Display for BadHfUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an hf:// URL is hf://OWNER/REPO[@REVISION]/FILE")
    }
}

impl std::error::Error for BadHfUrl {}

/// The Hub's address when `HF_ENDPOINT` does not say another.
pub const HF_ENDPOINT: &str = "https://huggingface.co";

/// The download URL of `hf://OWNER/REPO[@REVISION]/FILE` on the Hub at
/// `endpoint`: `ENDPOINT/OWNER/REPO/resolve/REVISION/FILE`, REVISION `main`
/// unless given (a branch, tag or commit; one with a slash, such as
/// `refs/pr/1`, is written escaped: `refs%2Fpr%2F1`). FILE may be in a
/// folder. Anything but `hf://` is returned as it is.
///
/// ```
/// use gguf_remote::hf_url;
/// let hub = "https://huggingface.co";
/// assert_eq!(
///     hf_url("hf://unsloth/gemma-3-270m-it-GGUF/gemma-3-270m-it-Q8_0.gguf", hub).unwrap(),
///     "https://huggingface.co/unsloth/gemma-3-270m-it-GGUF/resolve/main/gemma-3-270m-it-Q8_0.gguf"
/// );
/// assert_eq!(
///     hf_url("hf://org/repo@v1.0/Q4_K_M/model-00001-of-00002.gguf", hub).unwrap(),
///     "https://huggingface.co/org/repo/resolve/v1.0/Q4_K_M/model-00001-of-00002.gguf"
/// );
/// assert!(hf_url("hf://org/model.gguf", hub).is_err());
/// ```
pub fn hf_url(url: &str, endpoint: &str) -> Result<String, BadHfUrl> {
    let Some(rest) = url
        .split_once("://")
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("hf"))
        .map(|(_, rest)| rest)
    else {
        return Ok(url.to_string());
    };
    let mut parts = rest.splitn(3, '/');
    let (Some(owner), Some(repo), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(BadHfUrl);
    };
    let (repo, revision) = repo.split_once('@').unwrap_or((repo, "main"));
    if [owner, repo, revision, file].iter().any(|s| s.is_empty()) || file.split('/').any(str::is_empty) {
        return Err(BadHfUrl);
    }
    Ok(format!(
        "{}/{}/{}/resolve/{}/{}",
        endpoint.trim_end_matches('/'),
        escape(owner, false),
        escape(repo, false),
        escape(revision, false),
        escape(file, true)
    ))
}

/// `s` with every byte but RFC 3986's unreserved ones, `%` (so that an
/// escaped `refs%2Fpr%2F1` stays as written) and, when `keep_slash`, `/`
/// percent-encoded.
fn escape(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~%".contains(&b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An error about `url` that is not the parser's: an HTTP status, a
/// timeout, a missing feature.
fn url_error(url: &str, e: std::io::Error) -> Error {
    Error::Io {
        path: url.to_string(),
        source: e,
    }
}

/// Reads the header of the model at `url` (see [`is_url`]): of the first
/// file and, unless `single_file`, of the other shards of a split model at
/// the sibling URLs (`…-0000i-of-0000N.gguf`), each checked as
/// [`ModelFiles::open`] checks local shards. Parse the result with
/// [`ModelFiles::parse_header`] (or [`ModelFiles::parse`], which checks
/// every tensor against the remote file's size): the same model as the
/// downloaded file, without its tensor data.
///
/// Errors are one line naming the URL: `URL: HTTP 404 Not Found`, a timeout,
/// the parser's.
pub fn open(url: &str, single_file: bool) -> Result<ModelFiles, Error> {
    #[cfg(feature = "http")]
    {
        http::open(url, single_file)
    }
    #[cfg(not(feature = "http"))]
    {
        let _ = single_file;
        Err(url_error(
            url,
            std::io::Error::other(
                "reading a URL needs gguf built with the `remote` cargo feature (on by default)",
            ),
        ))
    }
}

#[cfg(feature = "http")]
mod http {
    //! The HTTP side: range requests with ureq, retries, redirects, the token.

    use super::{hf_url, url_error, HF_ENDPOINT};
    use gguf_format::{Error, GgufFile, ModelFiles, RangeRead, RangeStream, FIRST_READ};
    use std::io::{self, Read};
    use std::time::Duration;
    use ureq::http::{StatusCode, Uri};

    type Response = ureq::http::Response<ureq::Body>;

    /// Attempts per request: a connection error, a timeout or a 5xx answer
    /// is tried again, after 0.5 s, then 1 s.
    const ATTEMPTS: u32 = 3;

    /// Redirects followed per request (the Hub answers 302 to a CDN); the
    /// token goes only to the host of the URL the user named.
    const MAX_REDIRECTS: u32 = 5;

    /// First read of a later shard, which holds only tensor infos.
    const LATER_READ: u64 = 64 << 10;

    /// Shards read at once.
    const PARALLEL: usize = 8;

    /// The default connect and read timeout.
    const TIMEOUT: Duration = Duration::from_secs(30);

    /// What every request shares: the agent (connections are kept for the
    /// next range), the token, the timeout.
    struct Client {
        agent: ureq::Agent,
        token: Option<String>,
        timeout: Duration,
        endpoint: String,
    }

    impl Client {
        fn from_env() -> Result<Client, String> {
            let timeout = match std::env::var("GGUF_HTTP_TIMEOUT") {
                Err(_) => TIMEOUT,
                Ok(s) => s
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|t| t.is_finite() && *t > 0.0 && *t < 1e9)
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| {
                        format!("GGUF_HTTP_TIMEOUT={s:?} is not a number of seconds such as 30 or 0.5")
                    })?,
            };
            let config = ureq::Agent::config_builder()
                .http_status_as_error(false)
                // Followed here, so that the token goes to the named host only.
                .max_redirects(0)
                .user_agent(concat!("gguf/", env!("CARGO_PKG_VERSION")))
                .timeout_connect(Some(timeout))
                .timeout_recv_response(Some(timeout))
                .timeout_per_read(Some(timeout))
                .build();
            let token = std::env::var("HF_TOKEN")
                .ok()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty());
            let endpoint = std::env::var("HF_ENDPOINT")
                .ok()
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| HF_ENDPOINT.to_string());
            Ok(Client {
                agent: ureq::Agent::new_with_config(config),
                token,
                timeout,
                endpoint,
            })
        }

        /// Reads the header of the file at `name` (as the user wrote it).
        fn read_header(&self, name: &str, first_read: u64) -> Result<GgufFile, Error> {
            let url = hf_url(name, &self.endpoint).map_err(|e| url_error(name, io::Error::other(e)))?;
            let uri: Uri = url
                .parse()
                .map_err(|e| url_error(name, io::Error::other(format!("not a valid URL: {e}"))))?;
            let mut source = Http {
                client: self,
                origin: origin(&uri),
                target: url,
            };
            GgufFile::read_header(name, &mut source, first_read)
        }

        /// A GET of `url` from byte `start` (to `end`, exclusive),
        /// following redirects; the answer and the URL that gave it.
        fn get(
            &self,
            url: &str,
            named: Option<&str>,
            start: u64,
            end: u64,
        ) -> io::Result<(Response, String)> {
            let mut url = url.to_string();
            for _ in 0..=MAX_REDIRECTS {
                let r = self.get_once(&url, named, start, end)?;
                if !r.status().is_redirection() || r.status() == StatusCode::NOT_MODIFIED {
                    return Ok((r, url));
                }
                let location = r
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .ok_or_else(|| {
                        io::Error::other(format!("{} without a Location", status_line(r.status())))
                    })?;
                url = resolve(&url, location).ok_or_else(|| {
                    io::Error::other(format!("a redirect to {location:?}, which is not a URL"))
                })?;
            }
            Err(io::Error::other(format!("more than {MAX_REDIRECTS} redirects")))
        }

        /// One GET of `url` (no redirect followed), tried again on a
        /// connection error, a timeout or a 5xx.
        fn get_once(&self, url: &str, named: Option<&str>, start: u64, end: u64) -> io::Result<Response> {
            let mut attempt = 1;
            loop {
                let range = if end > start {
                    format!("bytes={start}-{}", end - 1)
                } else {
                    format!("bytes={start}-")
                };
                let mut req = self.agent.get(url).header("Range", range);
                if let Some(token) = &self.token {
                    // Only to the host the user named, by the same scheme.
                    if named.is_some() && url.parse().ok().and_then(|u| origin(&u)).as_deref() == named {
                        req = req.header("Authorization", format!("Bearer {token}"));
                    }
                }
                let result = req.call();
                let again = match &result {
                    Ok(r) => r.status().is_server_error() || r.status() == StatusCode::TOO_MANY_REQUESTS,
                    Err(e) => transient(e),
                };
                if !again || attempt == ATTEMPTS {
                    let tried = if attempt > 1 {
                        format!(" ({attempt} attempts)")
                    } else {
                        String::new()
                    };
                    return match result {
                        Ok(r)
                            if r.status().is_server_error()
                                || r.status() == StatusCode::TOO_MANY_REQUESTS =>
                        {
                            Err(io::Error::other(format!("{}{tried}", status_line(r.status()))))
                        }
                        Ok(r) => Ok(r),
                        Err(e) => Err(self.io_error(e, &tried)),
                    };
                }
                std::thread::sleep(Duration::from_millis(500 << (attempt - 1)));
                attempt += 1;
            }
        }

        /// A ureq error as one line.
        fn io_error(&self, e: ureq::Error, tried: &str) -> io::Error {
            let kind = match &e {
                ureq::Error::Timeout(_) => io::ErrorKind::TimedOut,
                ureq::Error::Io(e) => e.kind(),
                _ => io::ErrorKind::Other,
            };
            let what = match e {
                ureq::Error::Timeout(_) => format!("no answer within {} s", self.timeout.as_secs_f64()),
                ureq::Error::Io(e) if e.kind() == io::ErrorKind::TimedOut => {
                    format!("no answer within {} s", self.timeout.as_secs_f64())
                }
                ureq::Error::HostNotFound => "host not found".to_string(),
                ureq::Error::ConnectionFailed => "cannot connect".to_string(),
                ureq::Error::Io(e) => e.to_string(),
                other => other.to_string(),
            };
            io::Error::new(kind, format!("{what}{tried}"))
        }
    }

    /// Whether a failed request is worth another try.
    fn transient(e: &ureq::Error) -> bool {
        matches!(
            e,
            ureq::Error::Io(_)
                | ureq::Error::Timeout(_)
                | ureq::Error::ConnectionFailed
                | ureq::Error::Protocol(_)
        )
    }

    /// Shard `i` (0-based, after the first) of the model whose first shard
    /// is `url`: `names[i]`, with `url`'s query string (`?download=true`).
    pub(super) fn sibling(url: &str, names: &[String], i: usize) -> String {
        match url.split_once('?') {
            Some((_, query)) => format!("{}?{query}", names[i]),
            None => names[i].clone(),
        }
    }

    /// `HTTP 404 Not Found`.
    fn status_line(s: StatusCode) -> String {
        format!("HTTP {} {}", s.as_u16(), s.canonical_reason().unwrap_or(""))
            .trim_end()
            .to_string()
    }

    /// Where a `Location` leads from `base`: an absolute URL, a
    /// scheme-relative `//host/path`, an absolute path or a relative one.
    pub(super) fn resolve(base: &str, location: &str) -> Option<String> {
        let uri: Uri = base.parse().ok()?;
        let scheme = uri.scheme_str()?;
        let authority = uri.authority()?.as_str();
        let target = if location.contains("://") {
            location.to_string()
        } else if let Some(rest) = location.strip_prefix("//") {
            format!("{scheme}://{rest}")
        } else if location.starts_with('/') {
            format!("{scheme}://{authority}{location}")
        } else {
            let dir = uri.path().rsplit_once('/').map_or("", |(d, _)| d);
            format!("{scheme}://{authority}{dir}/{location}")
        };
        target.parse::<Uri>().ok()?;
        Some(target)
    }

    /// `scheme://host[:port]` of a URL, lower-case: the token goes where
    /// this is the named URL's.
    pub(super) fn origin(uri: &Uri) -> Option<String> {
        Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?.as_str()).to_ascii_lowercase())
    }

    /// `bytes START-END/TOTAL` (START, TOTAL) or `bytes */TOTAL` (None, TOTAL).
    fn content_range(r: &Response) -> Option<(Option<u64>, u64)> {
        let v = r.headers().get("content-range")?.to_str().ok()?;
        let (range, total) = v.trim().strip_prefix("bytes")?.trim().split_once('/')?;
        let total = total.trim().parse().ok()?;
        let start = match range.trim() {
            "*" => None,
            r => Some(r.split_once('-')?.0.trim().parse().ok()?),
        };
        Some((start, total))
    }

    /// An answer's body, whose timeouts say so in one line.
    struct Body {
        inner: ureq::BodyReader<'static>,
        timeout: Duration,
    }

    impl Read for Body {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.inner.read(buf).map_err(|e| {
                let ureq_timeout = e
                    .get_ref()
                    .and_then(|i| i.downcast_ref::<ureq::Error>())
                    .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)));
                if ureq_timeout || e.kind() == io::ErrorKind::TimedOut {
                    io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("no data within {} s", self.timeout.as_secs_f64()),
                    )
                } else {
                    e
                }
            })
        }
    }

    /// One remote file as a [`RangeRead`].
    struct Http<'c> {
        client: &'c Client,
        /// `scheme://host[:port]` of the URL the user named: the token goes
        /// there only.
        origin: Option<String>,
        /// Where requests go: the URL, then where its redirects led.
        target: String,
    }

    impl RangeRead for Http<'_> {
        fn read_from(&mut self, start: u64, end: u64) -> io::Result<RangeStream<'_>> {
            let (r, url) = self
                .client
                .get(&self.target, self.origin.as_deref(), start, end)?;
            // Later ranges go straight to where the redirects led.
            self.target = url;
            let status = r.status();
            match status {
                StatusCode::PARTIAL_CONTENT => {
                    let (from, file_size) = content_range(&r)
                        .and_then(|(s, total)| Some((s?, total)))
                        .ok_or_else(|| io::Error::other("HTTP 206 without a valid Content-Range"))?;
                    if from != start {
                        return Err(io::Error::other(format!(
                            "asked for bytes from {start}, the server sent them from {from}"
                        )));
                    }
                    Ok(RangeStream {
                        file_size,
                        reader: Box::new(Body {
                            inner: r.into_body().into_reader(),
                            timeout: self.client.timeout,
                        }),
                    })
                }
                StatusCode::OK => {
                    // The server ignores Range: the whole file comes, read
                    // only as far as the header goes.
                    let file_size = r.body().content_length().ok_or_else(|| {
                        io::Error::other("the server does not say the file's size (no Content-Length)")
                    })?;
                    let mut reader = Body {
                        inner: r.into_body().into_reader(),
                        timeout: self.client.timeout,
                    };
                    let skipped = io::copy(&mut (&mut reader).take(start), &mut io::sink())?;
                    if skipped < start {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!("the answer ended after {skipped} bytes"),
                        ));
                    }
                    Ok(RangeStream {
                        file_size,
                        reader: Box::new(reader),
                    })
                }
                // Asked past the end: only an empty file does that.
                StatusCode::RANGE_NOT_SATISFIABLE if matches!(content_range(&r), Some((None, total)) if total <= start) => {
                    Ok(RangeStream {
                        file_size: content_range(&r).map_or(0, |(_, t)| t),
                        reader: Box::new(io::empty()),
                    })
                }
                s => {
                    let mut line = status_line(s);
                    if (s == StatusCode::UNAUTHORIZED || s == StatusCode::FORBIDDEN)
                        && self.client.token.is_none()
                    {
                        line.push_str(" (set HF_TOKEN if the file needs a login)");
                    }
                    Err(io::Error::other(line))
                }
            }
        }
    }

    pub(super) fn open(url: &str, single_file: bool) -> Result<ModelFiles, Error> {
        let client = Client::from_env().map_err(|e| url_error(url, io::Error::other(e)))?;
        let first = client.read_header(url, FIRST_READ)?;
        if single_file {
            return Ok(ModelFiles::from_files(vec![first]));
        }
        // The shards' names from the first one's, without a query string.
        let base = url.split_once('?').map_or(url, |(b, _)| b);
        let names = {
            let g = first.parse_header().map_err(|e| Error::InShard {
                path: url.to_string(),
                source: Box::new(e),
            })?;
            ModelFiles::other_shards(base, &g)?
        };
        let n = names.len() + 1;
        let mut files = Vec::with_capacity(n);
        files.push(first);
        for batch in (0..names.len()).collect::<Vec<_>>().chunks(PARALLEL) {
            let read: Vec<Result<GgufFile, Error>> = std::thread::scope(|s| {
                let handles: Vec<_> = batch
                    .iter()
                    .map(|&i| {
                        let name = sibling(url, &names, i);
                        let client = &client;
                        s.spawn(move || {
                            client.read_header(&name, LATER_READ).map_err(|e| match e {
                                Error::Io { path, source } => Error::MissingShard {
                                    path,
                                    shard: i as u32 + 2,
                                    count: n as u32,
                                    source,
                                },
                                other => other,
                            })
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            });
            for r in read {
                files.push(r?);
            }
        }
        Ok(ModelFiles::from_files(files))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_paths() {
        for url in [
            "http://h/m.gguf",
            "https://h/m.gguf",
            "HTTPS://h/m.gguf",
            "hf://o/r/m.gguf",
        ] {
            assert!(is_url(url), "{url}");
        }
        for path in [
            "m.gguf",
            "/abs/m.gguf",
            "ftp://h/m.gguf",
            "dir/http://x",
            "C:\\m.gguf",
        ] {
            assert!(!is_url(path), "{path}");
        }
    }

    #[test]
    fn hf_urls_map_to_the_hub_download_url() {
        let hub = "https://huggingface.co/";
        let ok = |u: &str| hf_url(u, hub).unwrap();
        assert_eq!(
            ok("hf://o/r/m.gguf"),
            "https://huggingface.co/o/r/resolve/main/m.gguf"
        );
        assert_eq!(
            ok("hf://o/r@dev/sub/m.gguf"),
            "https://huggingface.co/o/r/resolve/dev/sub/m.gguf"
        );
        // The first slash ends the revision: one with slashes is written escaped.
        assert_eq!(
            ok("hf://o/r@refs%2Fpr%2F3/m.gguf"),
            "https://huggingface.co/o/r/resolve/refs%2Fpr%2F3/m.gguf"
        );
        assert_eq!(
            ok("hf://o/r/a b.gguf"),
            "https://huggingface.co/o/r/resolve/main/a%20b.gguf"
        );
        assert_eq!(
            hf_url("hf://o/r/m.gguf", "http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/o/r/resolve/main/m.gguf"
        );
        assert_eq!(ok("https://x/y.gguf"), "https://x/y.gguf");
        for bad in [
            "hf://",
            "hf://o",
            "hf://o/r",
            "hf://o/r/",
            "hf:///r/m.gguf",
            "hf://o/@v/m.gguf",
            "hf://o/r@/m.gguf",
            "hf://o/r/a//b.gguf",
        ] {
            assert!(hf_url(bad, hub).is_err(), "{bad}");
        }
    }

    #[cfg(feature = "http")]
    #[test]
    fn redirects_resolve_against_the_url() {
        let base = "https://hub.example/o/r/resolve/main/m.gguf";
        for (location, to) in [
            ("https://cdn.example/x?sig=1", "https://cdn.example/x?sig=1"),
            ("//cdn.example/x", "https://cdn.example/x"),
            (
                "/o/r2/resolve/main/m.gguf",
                "https://hub.example/o/r2/resolve/main/m.gguf",
            ),
            ("n.gguf", "https://hub.example/o/r/resolve/main/n.gguf"),
        ] {
            assert_eq!(http::resolve(base, location).as_deref(), Some(to), "{location}");
        }
        assert_eq!(http::resolve(base, "https://bad host/"), None);
    }

    #[cfg(feature = "http")]
    #[test]
    fn the_token_goes_to_the_named_scheme_host_and_port_only() {
        let origin = |u: &str| http::origin(&u.parse().unwrap());
        let named = origin("https://HF.example/o/r/resolve/main/m.gguf");
        assert_eq!(named.as_deref(), Some("https://hf.example"));
        assert_eq!(origin("https://hf.example/other"), named);
        for elsewhere in [
            "http://hf.example/x",
            "https://cdn.hf.example/x",
            "https://hf.example:8443/x",
        ] {
            assert_ne!(origin(elsewhere), named, "{elsewhere}");
        }
    }

    #[cfg(not(feature = "http"))]
    #[test]
    fn without_the_feature_a_url_is_refused_naming_it() {
        let e = open("https://h/m.gguf", false).unwrap_err().to_string();
        assert_eq!(
            e,
            "https://h/m.gguf: reading a URL needs gguf built with the `remote` cargo feature (on by default)"
        );
    }

    #[cfg(feature = "http")]
    #[test]
    fn siblings_keep_the_query() {
        let names = vec!["https://h/m-00002-of-00002.gguf".to_string()];
        assert_eq!(
            http::sibling("https://h/m-00001-of-00002.gguf?download=true", &names, 0),
            "https://h/m-00002-of-00002.gguf?download=true"
        );
    }
}
