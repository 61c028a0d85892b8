//! Integration tests of `reconcile-live` against throwaway MariaDB servers.

mod schema;
mod stream;
