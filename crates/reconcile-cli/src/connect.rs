//! Where to connect, and the password: from `MYSQL_PWD`, a `--defaults-file` in the
//! mysql client's format, or a prompt, never from the command line, so that it
//! reaches no log line, error message or process title.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// `--target` and how to connect to it (apply, verify, schema dump).
#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// The server: `mysql://USER@HOST:PORT/` or `mysql://USER@localhost/?socket=/path`.
    /// A password in the URL is refused (it would show in `ps`).
    #[arg(long, value_name = "URL")]
    pub target: String,
    #[command(flatten)]
    pub options: ConnectOptions,
}

/// How to connect to the servers a command names by URL: password source and TLS.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectOptions {
    /// A mysql client option file (`[client]` section: `user`, `password`, `host`,
    /// `port`, `socket`).
    #[arg(long, value_name = "FILE")]
    pub defaults_file: Option<PathBuf>,
    /// Ask for the password on the terminal.
    #[arg(long)]
    pub password_prompt: bool,
    /// TLS, as the mysql client's `--ssl-mode`: PREFERRED uses TLS when the server
    /// offers it; REQUIRED insists without checking the certificate; VERIFY_CA checks
    /// it against `--ssl-ca`; VERIFY_IDENTITY also checks the host name.
    #[arg(long, value_enum, default_value_t = SslMode::Preferred, ignore_case = true)]
    pub ssl_mode: SslMode,
    /// CA certificate (PEM) for VERIFY_CA and VERIFY_IDENTITY.
    #[arg(long, value_name = "FILE")]
    pub ssl_ca: Option<PathBuf>,
}

/// Whether a command-line SOURCE names a server rather than files.
pub fn is_url(source: &str) -> bool {
    source.starts_with("mysql://")
}

/// `--ssl-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[clap(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SslMode {
    /// Never TLS.
    Disabled,
    /// TLS when the server offers it (certificate not checked), else plain.
    Preferred,
    /// TLS or fail; the certificate is not checked.
    Required,
    /// TLS with a certificate signed by `--ssl-ca`.
    VerifyCa,
    /// As VERIFY_CA, and the certificate must name the host.
    VerifyIdentity,
}

/// Where to connect, with the password kept out of `Debug` and `Display`.
pub struct Endpoint {
    ssl_mode: SslMode,
    ssl_ca: Option<PathBuf>,
    user: Option<String>,
    host: String,
    port: u16,
    socket: Option<String>,
    password: Option<String>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl Endpoint {
    /// The target as messages show it: never with a password.
    pub fn label(&self) -> String {
        let user = self
            .user
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        match &self.socket {
            Some(s) => format!("mysql://{user}localhost/?socket={s}"),
            None => format!("mysql://{user}{}:{}/", self.host, self.port),
        }
    }

    /// Connection options to try in order: with `PREFERRED`, TLS first and then plain
    /// (taken only when the server does not offer TLS at all, see [`tls_refused`]).
    pub fn attempts(&self) -> Vec<mysql_async::Opts> {
        let tls = |verify: bool, verify_host: bool| {
            let mut ssl = mysql_async::SslOpts::default()
                .with_danger_accept_invalid_certs(!verify)
                .with_danger_skip_domain_validation(!verify_host);
            if let Some(ca) = &self.ssl_ca {
                ssl = ssl
                    .with_root_certs(vec![ca.clone().into()])
                    .with_disable_built_in_roots(true);
            }
            ssl
        };
        match (self.ssl_mode, self.socket.is_some()) {
            (SslMode::Disabled, _) | (SslMode::Preferred, true) => vec![self.opts(None)],
            (SslMode::Preferred, false) => {
                vec![self.opts(Some(tls(false, false))), self.opts(None)]
            }
            (SslMode::Required, _) => vec![self.opts(Some(tls(false, false)))],
            (SslMode::VerifyCa, _) => vec![self.opts(Some(tls(true, false)))],
            (SslMode::VerifyIdentity, _) => vec![self.opts(Some(tls(true, true)))],
        }
    }

    /// mysql_async options, with TLS or not.
    fn opts(&self, ssl: Option<mysql_async::SslOpts>) -> mysql_async::Opts {
        let mut b = mysql_async::OptsBuilder::default()
            .ssl_opts(ssl)
            .ip_or_hostname(self.host.clone())
            .tcp_port(self.port)
            .user(self.user.clone())
            .pass(self.password.clone())
            .prefer_socket(false);
        if let Some(socket) = &self.socket {
            b = b.socket(Some(socket.clone())).prefer_socket(true);
        }
        b.into()
    }
}

/// `[client]`-style settings of a mysql option file.
fn read_defaults_file(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --defaults-file {}", path.display()))?;
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_ascii_lowercase();
            continue;
        }
        if !matches!(
            section.as_str(),
            "client" | "mysql" | "mariadb-client" | "client-mariadb"
        ) {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
            out.push((
                k.trim().replace('-', "_").to_ascii_lowercase(),
                v.to_owned(),
            ));
        }
    }
    Ok(out)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b, hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a failed TLS attempt means the server offers no TLS at all (so
/// `PREFERRED` may go on without it), rather than a TLS failure to report.
pub fn tls_refused(err: &reconcile_apply::ApplyError) -> bool {
    matches!(
        err,
        reconcile_apply::ApplyError::Connect {
            source: mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer),
            ..
        }
    )
}

impl ConnectArgs {
    /// The `--target` endpoint.
    pub fn endpoint(&self) -> anyhow::Result<Endpoint> {
        self.options.endpoint("--target", &self.target)
    }
}

impl ConnectOptions {
    /// The endpoint of `url` (given as option `what`), with the password from
    /// `MYSQL_PWD`, the defaults file or a prompt.
    pub fn endpoint(&self, what: &str, url: &str) -> anyhow::Result<Endpoint> {
        if matches!(self.ssl_mode, SslMode::VerifyCa | SslMode::VerifyIdentity)
            && self.ssl_ca.is_none()
        {
            bail!("--ssl-mode VERIFY_CA and VERIFY_IDENTITY need --ssl-ca FILE");
        }
        let rest = url
            .strip_prefix("mysql://")
            .with_context(|| format!("{what} must look like mysql://USER@HOST:PORT/"))?;
        let (authority, query) = match rest.split_once('/') {
            Some((a, q)) => (a, q.trim_start_matches('?')),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        if userinfo.is_some_and(|u| u.contains(':')) {
            bail!(
                "{what} holds a password; it would be visible in the process list. Give it in MYSQL_PWD, a --defaults-file, or with --password-prompt"
            );
        }
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h.to_owned(),
                p.parse()
                    .with_context(|| format!("{what}: the port is not a number"))?,
            ),
            None => (hostport.to_owned(), 3306),
        };
        let mut socket = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("socket="))
            .map(percent_decode);
        let mut user = userinfo.map(percent_decode).filter(|u| !u.is_empty());
        let mut password = std::env::var_os("MYSQL_PWD").map(|p| p.to_string_lossy().into_owned());
        if let Some(file) = &self.defaults_file {
            for (k, v) in read_defaults_file(file)? {
                match k.as_str() {
                    "password" => password = Some(v),
                    "user" if user.is_none() => user = Some(v),
                    "socket" if socket.is_none() => socket = Some(v),
                    _ => {}
                }
            }
        }
        if self.password_prompt {
            let prompt = format!(
                "Password for {}: ",
                user.as_deref().unwrap_or("(current user)")
            );
            password = Some(
                rpassword::prompt_password(prompt)
                    .context("cannot read the password from the terminal")?,
            );
        }
        Ok(Endpoint {
            ssl_mode: self.ssl_mode,
            ssl_ca: self.ssl_ca.clone(),
            user,
            host: if host.is_empty() {
                "localhost".to_owned()
            } else {
                host
            },
            port,
            socket,
            password,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(target: &str) -> ConnectArgs {
        ConnectArgs {
            target: target.to_owned(),
            options: ConnectOptions {
                defaults_file: None,
                password_prompt: false,
                ssl_mode: SslMode::Preferred,
                ssl_ca: None,
            },
        }
    }

    #[test]
    fn urls_parse_and_never_show_a_password() {
        let e = args("mysql://admin@db1:3307/").endpoint().unwrap();
        assert_eq!(e.label(), "mysql://admin@db1:3307/");
        let e = args("mysql://root@localhost/?socket=/tmp/my%20sock")
            .endpoint()
            .unwrap();
        assert_eq!(e.label(), "mysql://root@localhost/?socket=/tmp/my sock");
        let err = args("mysql://admin:secret@db1:3307/")
            .endpoint()
            .unwrap_err()
            .to_string();
        assert!(!err.contains("secret"), "{err}");
        assert!(err.contains("MYSQL_PWD"), "{err}");
    }

    #[test]
    fn defaults_files_give_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("my.cnf");
        std::fs::write(
            &file,
            "[mysqld]\npassword=wrong\n[client]\nuser = ops\npassword = \"s3cret\"\n",
        )
        .unwrap();
        let mut a = args("mysql://db1/");
        a.options.defaults_file = Some(file);
        let e = a.endpoint().unwrap();
        assert_eq!(e.user.as_deref(), Some("ops"));
        assert_eq!(e.password.as_deref(), Some("s3cret"));
        assert!(!format!("{e:?}").contains("s3cret"));
    }
}
