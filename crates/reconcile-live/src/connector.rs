//! How to (re)connect to one server: its label and the connection options to
//! try in turn.

use mysql_async::{Conn, Opts};

use crate::error::LiveError;

/// The options to connect to one server, tried in order. With the mysql
/// client's `--ssl-mode PREFERRED` there are two: TLS, then plain; the plain
/// one is only taken when the server offers no TLS at all.
#[derive(Clone)]
pub struct Connector {
    label: String,
    attempts: Vec<Opts>,
}

impl std::fmt::Debug for Connector {
    // `Opts` holds the password: only the label is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("label", &self.label)
            .field("attempts", &self.attempts.len())
            .finish()
    }
}

impl Connector {
    /// `label` names the server in messages (it must not hold a password).
    pub fn new(label: impl Into<String>, attempts: Vec<Opts>) -> Self {
        Connector {
            label: label.into(),
            attempts,
        }
    }

    /// The server as messages name it.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// A new connection.
    pub async fn connect(&self) -> Result<Conn, LiveError> {
        let last = self.attempts.len().saturating_sub(1);
        let mut error = None;
        for (n, opts) in self.attempts.iter().enumerate() {
            match Conn::new(opts.clone()).await {
                Ok(conn) => return Ok(conn),
                Err(mysql_async::Error::Driver(
                    mysql_async::DriverError::NoClientSslFlagFromServer,
                )) if n < last => {
                    tracing::info!(server = %self.label, "the server offers no TLS; connecting without (--ssl-mode PREFERRED)");
                }
                Err(source) => {
                    error = Some(source);
                    break;
                }
            }
        }
        Err(LiveError::Connect {
            server: self.label.clone(),
            source: error.unwrap_or(mysql_async::Error::Driver(
                mysql_async::DriverError::ConnectionClosed,
            )),
        })
    }
}
