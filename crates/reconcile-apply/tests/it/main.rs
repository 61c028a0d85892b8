//! `reconcile-apply` against real MariaDB servers started by the test kit.

mod guards;
