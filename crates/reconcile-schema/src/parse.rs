//! From statements to the model: classification, thin token rewrites, sqlparser, and
//! conversion of its AST.

use std::collections::BTreeMap;

use sqlparser::ast::{
    ColumnOption, CreateTable, CreateTableLikeKind, DataType, EnumMember, Expr,
    GeneratedExpressionMode, IndexColumn, ObjectName, ObjectNamePart, ObjectType,
    ReferentialAction, SqlOption, Statement, TableConstraint, Use,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace, Word};

use crate::collation::{self, ServerFlavor};
use crate::error::{SchemaError, SchemaWarning};
use crate::model::{
    ColumnSchema, FkAction, ForeignKey, Generated, Key, KeyPart, Schema, TableSchema, Trigger,
    TriggerEvent, TriggerTiming, TypeParams,
};
use crate::split::{split_statements, RawStatement};

/// Options of [`crate::parse_schema_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// Whose collation defaults to apply; `None` detects it from the dump header
    /// (see [`detect_flavor`]).
    pub flavor: Option<ServerFlavor>,
}

/// The header line with which [`crate::render_schema`] states the flavor:
/// `-- Flavor: MariaDB`, `-- Flavor: MySQL 5.7` or `-- Flavor: MySQL 8.0`.
pub(crate) const FLAVOR_MARKER: &str = "-- Flavor: ";

/// The name of a flavor after [`FLAVOR_MARKER`].
pub(crate) fn flavor_name(flavor: ServerFlavor) -> &'static str {
    match flavor {
        ServerFlavor::MariaDb => "MariaDB",
        ServerFlavor::MySql57 => "MySQL 5.7",
        ServerFlavor::MySql80 => "MySQL 8.0",
    }
}

/// Guesses the server flavor of a dump: a `-- Flavor: …` line in the header (written
/// by [`crate::render_schema`]) decides; else `MariaDB` in the header comments or a
/// `/*M!` comment means MariaDB; `-- Server version` (or `Distrib`) 5.x means MySQL
/// 5.7, 8.x/9.x means MySQL 8.0; otherwise a `_0900_` collation anywhere means MySQL
/// 8.0; otherwise MariaDB.
pub fn detect_flavor(text: &str) -> ServerFlavor {
    let header: Vec<&str> = text.lines().take(30).collect();
    let stated = header
        .iter()
        .filter_map(|l| l.strip_prefix(FLAVOR_MARKER))
        .find_map(|name| {
            [
                ServerFlavor::MariaDb,
                ServerFlavor::MySql57,
                ServerFlavor::MySql80,
            ]
            .into_iter()
            .find(|f| flavor_name(*f) == name.trim())
        });
    if let Some(flavor) = stated {
        return flavor;
    }
    if text.contains("/*M!") || header.iter().any(|l| l.contains("MariaDB")) {
        return ServerFlavor::MariaDb;
    }
    // The server's version wins over the dump tool's (`Distrib`).
    let server = header
        .iter()
        .find_map(|l| l.strip_prefix("-- Server version"));
    let tool = header
        .iter()
        .find_map(|l| l.split_once("Distrib ").map(|(_, v)| v));
    if let Some(v) = server.or(tool) {
        let v = v.trim_start();
        if v.starts_with("5.") {
            return ServerFlavor::MySql57;
        }
        if v.starts_with("8.") || v.starts_with("9.") {
            return ServerFlavor::MySql80;
        }
    }
    if text.contains("_0900_") {
        ServerFlavor::MySql80
    } else {
        ServerFlavor::MariaDb
    }
}

pub(crate) fn parse(text: &str, options: &ParseOptions) -> Result<Schema, SchemaError> {
    let flavor = options.flavor.unwrap_or_else(|| detect_flavor(text));
    let (statements, warnings) = split_statements(text);
    let mut state = State {
        schema: Schema {
            tables: BTreeMap::new(),
            warnings,
            flavor,
        },
        current_db: None,
        created_db: None,
        db_defaults: BTreeMap::new(),
    };
    for stmt in &statements {
        state.statement(stmt)?;
    }
    state.schema.warnings.sort_by_key(|w| w.line);
    Ok(state.schema)
}

struct State {
    schema: Schema,
    /// Set by `USE`.
    current_db: Option<String>,
    /// Set by `CREATE DATABASE`.
    created_db: Option<String>,
    /// `(charset, collation)` of each database created in the dump.
    db_defaults: BTreeMap<String, (Option<String>, Option<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Table,
    Trigger,
    Database,
    Other,
}

fn dialect() -> MySqlDialect {
    MySqlDialect {}
}

fn is_ws(t: &TokenWithSpan) -> bool {
    matches!(t.token, Token::Whitespace(_))
}

fn word_kw(t: &TokenWithSpan) -> Option<Keyword> {
    match &t.token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.keyword),
        _ => None,
    }
}

fn word_upper(t: &TokenWithSpan) -> Option<String> {
    match &t.token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
        _ => None,
    }
}

fn make_word(value: &str, like: &TokenWithSpan) -> TokenWithSpan {
    TokenWithSpan::new(Token::make_keyword(value), like.span)
}

fn classify(tokens: &[TokenWithSpan]) -> Kind {
    let mut words = tokens.iter().filter(|t| !is_ws(t));
    if words.next().and_then(word_kw) != Some(Keyword::CREATE) {
        return Kind::Other;
    }
    for t in words.take(40) {
        match word_kw(t) {
            Some(Keyword::TABLE) => return Kind::Table,
            Some(Keyword::TRIGGER) => return Kind::Trigger,
            Some(Keyword::DATABASE | Keyword::SCHEMA) => return Kind::Database,
            Some(
                Keyword::VIEW
                | Keyword::PROCEDURE
                | Keyword::FUNCTION
                | Keyword::EVENT
                | Keyword::INDEX
                | Keyword::SEQUENCE
                | Keyword::USER
                | Keyword::ROLE,
            ) => return Kind::Other,
            _ => {}
        }
        if matches!(t.token, Token::LParen) {
            return Kind::Other;
        }
    }
    Kind::Other
}

/// Splits "… at Line: L, Column: C" off a sqlparser message.
fn split_location(message: &str) -> (String, Option<(u64, u64)>) {
    if let Some((msg, loc)) = message.rsplit_once(" at Line: ") {
        if let Some((l, c)) = loc.split_once(", Column: ") {
            if let (Ok(l), Ok(c)) = (l.trim().parse(), c.trim().parse()) {
                return (msg.to_string(), Some((l, c)));
            }
        }
    }
    (message.to_string(), None)
}

fn parser_message(e: &ParserError) -> String {
    let s = match e {
        ParserError::TokenizerError(s) | ParserError::ParserError(s) => s.clone(),
        ParserError::RecursionLimitExceeded => "nesting too deep".to_string(),
    };
    s.strip_prefix("sql parser error: ")
        .unwrap_or(&s)
        .trim_end_matches('.')
        .to_string()
}

fn parse_error(stmt: &RawStatement, e: &ParserError) -> SchemaError {
    let (message, loc) = split_location(&parser_message(e));
    let (line, column) = match loc {
        Some((l, c)) if l > 0 => {
            let (line, column) = stmt.map_location(l, c);
            (line, Some(column))
        }
        _ => (stmt.line, None),
    };
    SchemaError::Parse {
        line,
        column,
        message,
        excerpt: stmt.excerpt(),
    }
}

fn parse_tokens(tokens: Vec<TokenWithSpan>) -> Result<Option<Statement>, ParserError> {
    let d = dialect();
    let mut parser = Parser::new(&d).with_tokens_with_locations(tokens);
    let statements = parser.parse_statements()?;
    Ok(statements.into_iter().next())
}

fn ident_name(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => i.value.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// `(database, table)` of a possibly qualified name.
fn split_name(name: &ObjectName) -> (Option<String>, String) {
    let mut parts = ident_name(name);
    let table = parts.pop().unwrap_or_default();
    (parts.pop(), table)
}

impl State {
    fn warn(&mut self, line: usize, message: String) {
        tracing::debug!(line, %message, "schema warning");
        self.schema.warnings.push(SchemaWarning { line, message });
    }

    fn resolve_db(&self, explicit: Option<String>) -> Option<String> {
        explicit
            .or_else(|| self.current_db.clone())
            .or_else(|| self.created_db.clone())
    }

    fn statement(&mut self, stmt: &RawStatement) -> Result<(), SchemaError> {
        let d = dialect();
        let tokens = match Tokenizer::new(&d, &stmt.text).tokenize_with_location() {
            Ok(t) => t,
            Err(e) => {
                let looks_like_table = {
                    let upper = stmt.text.to_ascii_uppercase();
                    let mut w = upper.split_whitespace();
                    w.next() == Some("CREATE") && w.take(4).any(|x| x == "TABLE" || x == "TRIGGER")
                };
                if looks_like_table {
                    let (line, column) = stmt.map_location(e.location.line, e.location.column);
                    return Err(SchemaError::Parse {
                        line,
                        column: Some(column),
                        message: e.message.clone(),
                        excerpt: stmt.excerpt(),
                    });
                }
                self.warn(
                    stmt.line,
                    format!("skipped statement ({}): {}", e.message, stmt.excerpt()),
                );
                return Ok(());
            }
        };
        match classify(&tokens) {
            Kind::Table => self.create_table(stmt, tokens),
            Kind::Trigger => self.create_trigger(stmt, tokens),
            Kind::Database => {
                self.create_database(stmt, tokens);
                Ok(())
            }
            Kind::Other => {
                self.other(stmt, tokens);
                Ok(())
            }
        }
    }

    fn other(&mut self, stmt: &RawStatement, tokens: Vec<TokenWithSpan>) {
        match parse_tokens(tokens) {
            Ok(Some(Statement::Use(u))) => {
                let name = match u {
                    Use::Object(n) | Use::Database(n) | Use::Schema(n) => ident_name(&n).pop(),
                    _ => None,
                };
                if let Some(n) = name {
                    self.current_db = Some(n);
                }
            }
            Ok(Some(Statement::Drop {
                object_type: ObjectType::Table | ObjectType::View,
                names,
                ..
            })) => {
                for n in &names {
                    let (db, table) = split_name(n);
                    if let Some(db) = self.resolve_db(db) {
                        self.schema.tables.remove(&(db, table));
                    }
                }
            }
            Ok(Some(Statement::AlterTable(_))) => self.warn(
                stmt.line,
                format!("ALTER TABLE not applied to the model: {}", stmt.excerpt()),
            ),
            Ok(_) => {}
            Err(e) => {
                let msg = split_location(&parser_message(&e)).0;
                self.warn(
                    stmt.line,
                    format!(
                        "skipped statement sqlparser cannot parse ({msg}): {}",
                        stmt.excerpt()
                    ),
                );
            }
        }
    }

    fn create_database(&mut self, stmt: &RawStatement, tokens: Vec<TokenWithSpan>) {
        // MySQL 8 adds `DEFAULT ENCRYPTION='N'`, which sqlparser does not know; it
        // does not matter here, so drop it before parsing.
        let mut cleaned: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len());
        let mut iter = tokens.into_iter().peekable();
        while let Some(t) = iter.next() {
            if word_upper(&t).as_deref() == Some("ENCRYPTION") {
                // Remove a preceding DEFAULT, then `[=] value`.
                while cleaned.last().is_some_and(is_ws) {
                    cleaned.pop();
                }
                if cleaned.last().and_then(word_kw) == Some(Keyword::DEFAULT) {
                    cleaned.pop();
                }
                while iter
                    .peek()
                    .is_some_and(|t| is_ws(t) || t.token == Token::Eq)
                {
                    iter.next();
                }
                iter.next();
                continue;
            }
            cleaned.push(t);
        }
        match parse_tokens(cleaned) {
            Ok(Some(Statement::CreateDatabase {
                db_name,
                default_charset,
                default_collation,
                ..
            })) => {
                let Some(name) = ident_name(&db_name).pop() else {
                    return;
                };
                self.db_defaults
                    .insert(name.clone(), (default_charset, default_collation));
                self.created_db = Some(name);
            }
            Ok(_) => {}
            Err(e) => {
                let msg = split_location(&parser_message(&e)).0;
                self.warn(
                    stmt.line,
                    format!(
                        "skipped CREATE DATABASE sqlparser cannot parse ({msg}): {}",
                        stmt.excerpt()
                    ),
                );
            }
        }
    }

    fn create_trigger(
        &mut self,
        stmt: &RawStatement,
        tokens: Vec<TokenWithSpan>,
    ) -> Result<(), SchemaError> {
        let header = trigger_header(tokens);
        let ct = match parse_tokens(header) {
            Ok(Some(Statement::CreateTrigger(ct))) => ct,
            Ok(_) => {
                return Err(SchemaError::Parse {
                    line: stmt.line,
                    column: None,
                    message: "not a CREATE TRIGGER statement".into(),
                    excerpt: stmt.excerpt(),
                })
            }
            Err(e) => return Err(parse_error(stmt, &e)),
        };
        let name = ident_name(&ct.name).pop().unwrap_or_default();
        let timing = match ct.period {
            Some(sqlparser::ast::TriggerPeriod::Before) => TriggerTiming::Before,
            Some(sqlparser::ast::TriggerPeriod::After) => TriggerTiming::After,
            other => {
                self.warn(
                    stmt.line,
                    format!("trigger `{name}` with unsupported timing {other:?} skipped"),
                );
                return Ok(());
            }
        };
        let event = match ct.events.first() {
            Some(sqlparser::ast::TriggerEvent::Insert) => TriggerEvent::Insert,
            Some(sqlparser::ast::TriggerEvent::Update(_)) => TriggerEvent::Update,
            Some(sqlparser::ast::TriggerEvent::Delete) => TriggerEvent::Delete,
            other => {
                self.warn(
                    stmt.line,
                    format!("trigger `{name}` with unsupported event {other:?} skipped"),
                );
                return Ok(());
            }
        };
        let (db, table) = split_name(&ct.table_name);
        let Some(db) = self.resolve_db(db) else {
            return Err(SchemaError::NoDatabase {
                line: stmt.line,
                table,
            });
        };
        match self.schema.tables.get_mut(&(db.clone(), table.clone())) {
            Some(t) => t.triggers.push(Trigger {
                name,
                timing,
                event,
                table,
            }),
            None => self.warn(
                stmt.line,
                format!("trigger `{name}` is on unknown table `{db}`.`{table}`; skipped"),
            ),
        }
        Ok(())
    }

    fn create_table(
        &mut self,
        stmt: &RawStatement,
        tokens: Vec<TokenWithSpan>,
    ) -> Result<(), SchemaError> {
        let rewritten = rewrite_create_table(tokens);
        let ct = match parse_tokens(rewritten.tokens.clone()) {
            Ok(Some(Statement::CreateTable(ct))) => ct,
            Ok(_) => {
                return Err(SchemaError::Parse {
                    line: stmt.line,
                    column: None,
                    message: "not a CREATE TABLE statement".into(),
                    excerpt: stmt.excerpt(),
                })
            }
            Err(e) => {
                // Unknown table options (after the column list) are not worth failing
                // for: retry without them and pick the few we need from the tokens.
                let (_, loc) = split_location(&parser_message(&e));
                let after_list = match (loc, rewritten.options_start) {
                    (Some((l, c)), Some(i)) => rewritten
                        .tokens
                        .get(i)
                        .is_some_and(|t| (l, c) >= (t.span.start.line, t.span.start.column)),
                    _ => false,
                };
                let Some(i) = rewritten.options_start.filter(|_| after_list) else {
                    return Err(parse_error(stmt, &e));
                };
                let head: Vec<TokenWithSpan> = rewritten.tokens.iter().take(i).cloned().collect();
                let tail = rewritten.tokens.get(i..).unwrap_or_default();
                match parse_tokens(head) {
                    Ok(Some(Statement::CreateTable(mut ct))) => {
                        let msg = split_location(&parser_message(&e)).0;
                        self.warn(
                            stmt.line,
                            format!("table options not understood ({msg}); only ENGINE, CHARSET and COLLATE were read"),
                        );
                        ct.table_options = sqlparser::ast::CreateTableOptions::None;
                        let opts = scan_table_options(tail);
                        return self.add_table(stmt, &ct, Some(opts), rewritten.zerofill);
                    }
                    _ => return Err(parse_error(stmt, &e)),
                }
            }
        };
        self.add_table(stmt, &ct, None, rewritten.zerofill)
    }

    fn add_table(
        &mut self,
        stmt: &RawStatement,
        ct: &CreateTable,
        scanned: Option<TableOptions>,
        zerofill: Vec<String>,
    ) -> Result<(), SchemaError> {
        let (db, name) = split_name(&ct.name);
        if ct.temporary {
            self.warn(stmt.line, format!("temporary table `{name}` skipped"));
            return Ok(());
        }
        let Some(db) = self.resolve_db(db) else {
            return Err(SchemaError::NoDatabase {
                line: stmt.line,
                table: name,
            });
        };
        let key = (db.clone(), name.clone());
        if let Some(like) = &ct.like {
            let src = match like {
                CreateTableLikeKind::Parenthesized(l) | CreateTableLikeKind::Plain(l) => &l.name,
            };
            let (sdb, sname) = split_name(src);
            let sdb = sdb.unwrap_or_else(|| db.clone());
            let Some(mut copy) = self.schema.table(&sdb, &sname).cloned() else {
                return Err(SchemaError::Invalid {
                    line: stmt.line,
                    table: name,
                    message: format!("LIKE names unknown table `{sdb}`.`{sname}`"),
                });
            };
            copy.schema = db;
            copy.name = name;
            copy.triggers.clear();
            copy.foreign_keys.clear();
            self.schema.tables.insert(key, copy);
            return Ok(());
        }
        if ct.query.is_some() {
            self.warn(
                stmt.line,
                format!(
                    "CREATE TABLE `{name}` … AS SELECT: only explicitly declared columns are known"
                ),
            );
        }
        let flavor = self.schema.flavor;
        let opts = scanned.unwrap_or_else(|| table_options(ct));
        let (db_charset, db_collation) = self.db_defaults.get(&db).cloned().unwrap_or_default();
        let default_charset = opts
            .charset
            .map(|c| collation::normalize_charset_name(&c))
            .or_else(|| opts.collation.as_deref().and_then(collation::charset_of))
            .or(db_charset.map(|c| collation::normalize_charset_name(&c)));
        let default_collation = opts
            .collation
            .map(|c| collation::normalize_collation_name(&c))
            .or_else(|| {
                // The database's collation only applies when the table names no charset
                // of its own, or the same one.
                let from_db = db_collation
                    .as_deref()
                    .map(collation::normalize_collation_name)
                    .filter(|c| {
                        default_charset.is_none()
                            || collation::charset_of(c).as_deref() == default_charset.as_deref()
                    });
                from_db.or_else(|| {
                    default_charset
                        .as_deref()
                        .and_then(|cs| collation::default_collation(cs, flavor))
                        .map(str::to_string)
                })
            });
        let default_charset = default_charset
            .or_else(|| default_collation.as_deref().and_then(collation::charset_of));

        let mut table = TableSchema {
            schema: db.clone(),
            name: name.clone(),
            columns: Vec::new(),
            primary_key: None,
            unique_keys: Vec::new(),
            foreign_keys: Vec::new(),
            triggers: Vec::new(),
            default_charset,
            default_collation,
            engine: opts.engine,
        };
        let invalid = |message: String| SchemaError::Invalid {
            line: stmt.line,
            table: name.clone(),
            message,
        };

        let mut column_pk: Vec<String> = Vec::new();
        let mut column_unique: Vec<String> = Vec::new();
        for (position, col) in ct.columns.iter().enumerate() {
            let column = convert_column(
                position,
                col,
                &table,
                flavor,
                zerofill
                    .iter()
                    .any(|z| z.eq_ignore_ascii_case(&col.name.value)),
            );
            for opt in &col.options {
                match &opt.option {
                    ColumnOption::PrimaryKey(_) => column_pk.push(column.name.clone()),
                    ColumnOption::Unique(_) => column_unique.push(column.name.clone()),
                    _ => {}
                }
            }
            if table.column(&column.name).is_some() {
                return Err(invalid(format!("duplicate column `{}`", column.name)));
            }
            table.columns.push(column);
        }
        if column_pk.len() > 1 {
            return Err(invalid("more than one column declared PRIMARY KEY".into()));
        }
        if let Some(c) = column_pk.pop() {
            table.primary_key = Some(Key {
                name: None,
                columns: vec![KeyPart {
                    column: c,
                    prefix_len: None,
                }],
            });
        }
        for c in column_unique {
            table.unique_keys.push(Key {
                name: Some(c.clone()),
                columns: vec![KeyPart {
                    column: c,
                    prefix_len: None,
                }],
            });
        }

        for constraint in &ct.constraints {
            match constraint {
                TableConstraint::PrimaryKey(pk) => {
                    if table.primary_key.is_some() {
                        return Err(invalid("more than one PRIMARY KEY".into()));
                    }
                    let key = make_key(None, &pk.columns, &table).map_err(&invalid)?;
                    table.primary_key = Some(key);
                }
                TableConstraint::Unique(u) => {
                    let key_name = u
                        .index_name
                        .as_ref()
                        .or(u.name.as_ref())
                        .map(|i| i.value.clone());
                    match make_key(key_name.clone(), &u.columns, &table) {
                        Ok(key) => table.unique_keys.push(key),
                        Err(msg) => self.warn(
                            stmt.line,
                            format!(
                                "unique key {} of `{name}` not modelled: {msg}",
                                key_name.unwrap_or_default()
                            ),
                        ),
                    }
                }
                TableConstraint::ForeignKey(fk) => {
                    let (rdb, rtable) = split_name(&fk.foreign_table);
                    let mut columns = Vec::new();
                    for c in &fk.columns {
                        let Some(col) = table.column(&c.value) else {
                            return Err(invalid(format!(
                                "foreign key names unknown column `{}`",
                                c.value
                            )));
                        };
                        columns.push(col.name.clone());
                    }
                    table.foreign_keys.push(ForeignKey {
                        name: fk.name.as_ref().map(|i| i.value.clone()),
                        columns,
                        ref_schema: rdb.unwrap_or_else(|| db.clone()),
                        ref_table: rtable,
                        ref_columns: fk
                            .referred_columns
                            .iter()
                            .map(|i| i.value.clone())
                            .collect(),
                        on_delete: fk_action(fk.on_delete),
                        on_update: fk_action(fk.on_update),
                    });
                }
                _ => {}
            }
        }
        // Primary key columns are NOT NULL even when not declared so.
        if let Some(pk) = &table.primary_key {
            let pk_cols: Vec<String> = pk.columns.iter().map(|p| p.column.clone()).collect();
            for c in &mut table.columns {
                if pk_cols.iter().any(|p| p.eq_ignore_ascii_case(&c.name)) {
                    c.nullable = false;
                }
            }
        }
        if self.schema.tables.contains_key(&key) && !ct.if_not_exists {
            self.warn(
                stmt.line,
                format!("table `{db}`.`{name}` defined again; the last definition wins"),
            );
        }
        if !(ct.if_not_exists && self.schema.tables.contains_key(&key)) {
            self.schema.tables.insert(key, table);
        }
        Ok(())
    }
}

fn fk_action(a: Option<ReferentialAction>) -> FkAction {
    match a {
        None | Some(ReferentialAction::Restrict) => FkAction::Restrict,
        Some(ReferentialAction::Cascade) => FkAction::Cascade,
        Some(ReferentialAction::SetNull) => FkAction::SetNull,
        Some(ReferentialAction::NoAction) => FkAction::NoAction,
        Some(ReferentialAction::SetDefault) => FkAction::SetDefault,
    }
}

/// A key from index columns: plain columns and prefix parts (`name(10)`, which
/// sqlparser reads as a function call); functional parts are refused.
fn make_key(
    name: Option<String>,
    parts: &[IndexColumn],
    table: &TableSchema,
) -> Result<Key, String> {
    let mut columns = Vec::new();
    for part in parts {
        let (col, prefix_len) = match &part.column.expr {
            Expr::Identifier(i) => (i.value.clone(), None),
            Expr::Function(f) => {
                let prefix = match &f.args {
                    sqlparser::ast::FunctionArguments::List(list) if list.args.len() == 1 => {
                        list.args.first().and_then(|a| {
                            let s = a.to_string();
                            s.parse::<u32>().ok()
                        })
                    }
                    _ => None,
                };
                let Some(prefix) = prefix else {
                    return Err(format!("functional key part `{}`", part.column.expr));
                };
                (ident_name(&f.name).pop().unwrap_or_default(), Some(prefix))
            }
            other => return Err(format!("functional key part `{other}`")),
        };
        let Some(c) = table.column(&col) else {
            return Err(format!("key names unknown column `{col}`"));
        };
        columns.push(KeyPart {
            column: c.name.clone(),
            prefix_len,
        });
    }
    Ok(Key { name, columns })
}

#[derive(Debug, Default)]
struct TableOptions {
    engine: Option<String>,
    charset: Option<String>,
    collation: Option<String>,
}

fn option_value(e: &Expr) -> String {
    match e {
        Expr::Identifier(i) => i.value.clone(),
        Expr::Value(v) => match &v.value {
            sqlparser::ast::Value::SingleQuotedString(s)
            | sqlparser::ast::Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        other => other.to_string(),
    }
}

fn table_options(ct: &CreateTable) -> TableOptions {
    let mut out = TableOptions::default();
    let list: &[SqlOption] = match &ct.table_options {
        sqlparser::ast::CreateTableOptions::None => &[],
        sqlparser::ast::CreateTableOptions::With(v)
        | sqlparser::ast::CreateTableOptions::Options(v)
        | sqlparser::ast::CreateTableOptions::Plain(v)
        | sqlparser::ast::CreateTableOptions::TableProperties(v) => v,
    };
    for opt in list {
        match opt {
            SqlOption::KeyValue { key, value } => {
                let k = key.value.to_ascii_uppercase();
                let k = k.strip_prefix("DEFAULT ").unwrap_or(&k).trim().to_string();
                match k.as_str() {
                    "CHARSET" | "CHARACTER SET" => out.charset = Some(option_value(value)),
                    "COLLATE" => out.collation = Some(option_value(value)),
                    "ENGINE" => out.engine = Some(option_value(value)),
                    _ => {}
                }
            }
            SqlOption::NamedParenthesizedList(l) if l.key.value.eq_ignore_ascii_case("ENGINE") => {
                out.engine = l.name.as_ref().map(|n| n.value.clone());
            }
            _ => {}
        }
    }
    out
}

/// ENGINE / CHARSET / COLLATE read off raw option tokens (fallback path).
fn scan_table_options(tokens: &[TokenWithSpan]) -> TableOptions {
    let mut out = TableOptions::default();
    let words: Vec<&TokenWithSpan> = tokens
        .iter()
        .filter(|t| !is_ws(t) && t.token != Token::Eq)
        .collect();
    let value = |i: usize| -> Option<String> {
        words.get(i).and_then(|t| match &t.token {
            Token::Word(w) => Some(w.value.clone()),
            Token::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        })
    };
    let mut i = 0;
    while i < words.len() {
        let up = words.get(i).and_then(|t| word_upper(t));
        match up.as_deref() {
            Some("ENGINE") => out.engine = value(i + 1),
            Some("CHARSET") => out.charset = value(i + 1),
            Some("CHARACTER")
                if words.get(i + 1).and_then(|t| word_upper(t)).as_deref() == Some("SET") =>
            {
                out.charset = value(i + 2);
            }
            Some("COLLATE") => out.collation = value(i + 1),
            _ => {}
        }
        i += 1;
    }
    out
}

struct Rewritten {
    tokens: Vec<TokenWithSpan>,
    /// Index of the first token after the closing parenthesis of the column list.
    options_start: Option<usize>,
    /// Columns declared `ZEROFILL`.
    zerofill: Vec<String>,
}

/// Thin token rewrites for MySQL/MariaDB syntax sqlparser lacks, keeping spans:
/// `ZEROFILL` (dropped, implies `UNSIGNED`), `PERSISTENT` (= `STORED`), column
/// `CHARSET x` (= `CHARACTER SET x`), key `VISIBLE`/`INVISIBLE`/`IGNORED`,
/// `WITH[OUT] SYSTEM VERSIONING`, and a trailing `PARTITION BY …` clause.
fn rewrite_create_table(tokens: Vec<TokenWithSpan>) -> Rewritten {
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len());
    let mut zerofill = Vec::new();
    let mut depth = 0usize;
    let mut seen_list = false;
    let mut options_start = None;
    // First word and first identifier of the current element of the column list.
    let mut element_first: Option<String> = None;
    let mut element_name: Option<String> = None;
    let mut iter = tokens.into_iter().peekable();
    let last_sig = |out: &Vec<TokenWithSpan>| out.iter().rev().find(|t| !is_ws(t)).cloned();
    let is_key_element = |first: &Option<String>| {
        matches!(
            first.as_deref(),
            Some(
                "KEY"
                    | "INDEX"
                    | "UNIQUE"
                    | "PRIMARY"
                    | "FULLTEXT"
                    | "SPATIAL"
                    | "CONSTRAINT"
                    | "FOREIGN"
                    | "CHECK"
            )
        )
    };
    while let Some(t) = iter.next() {
        match &t.token {
            Token::LParen => {
                depth += 1;
                if depth == 1 && !seen_list {
                    element_first = None;
                    element_name = None;
                }
                out.push(t);
                continue;
            }
            Token::RParen => {
                depth = depth.saturating_sub(1);
                out.push(t);
                if depth == 0 && !seen_list {
                    seen_list = true;
                    options_start = Some(out.len());
                }
                continue;
            }
            Token::Comma if depth == 1 => {
                element_first = None;
                element_name = None;
                out.push(t);
                continue;
            }
            _ => {}
        }
        if is_ws(&t) {
            out.push(t);
            continue;
        }
        if depth == 1 && element_first.is_none() {
            element_first = Some(word_upper(&t).unwrap_or_default());
            if let Token::Word(w) = &t.token {
                element_name = Some(w.value.clone());
            }
            out.push(t);
            continue;
        }
        let up = word_upper(&t);

        match (depth, up.as_deref()) {
            (1, Some("ZEROFILL")) if !is_key_element(&element_first) => {
                if let Some(n) = &element_name {
                    zerofill.push(n.clone());
                }
                let prev_unsigned =
                    last_sig(&out).and_then(|p| word_upper(&p)).as_deref() == Some("UNSIGNED");
                if !prev_unsigned {
                    out.push(make_word("UNSIGNED", &t));
                }
            }
            (1, Some("PERSISTENT")) if !is_key_element(&element_first) => {
                out.push(make_word("STORED", &t));
            }
            (1, Some("CHARSET")) if !is_key_element(&element_first) => {
                out.push(make_word("CHARACTER", &t));
                out.push(TokenWithSpan::new(
                    Token::Whitespace(Whitespace::Space),
                    t.span,
                ));
                out.push(make_word("SET", &t));
            }
            (1, Some("VISIBLE" | "INVISIBLE" | "IGNORED")) if is_key_element(&element_first) => {
                // Drop a preceding NOT of `NOT IGNORED`.
                if last_sig(&out).and_then(|p| word_upper(&p)).as_deref() == Some("NOT") {
                    while out.last().is_some_and(is_ws) {
                        out.pop();
                    }
                    out.pop();
                }
            }
            (_, Some("WITH" | "WITHOUT")) if depth <= 1 => {
                // `WITH[OUT] SYSTEM VERSIONING`
                let mut look = iter.clone().filter(|x| !is_ws(x));
                let a = look.next().and_then(|x| word_upper(&x));
                let b = look.next().and_then(|x| word_upper(&x));
                if a.as_deref() == Some("SYSTEM") && b.as_deref() == Some("VERSIONING") {
                    let mut skipped = 0;
                    while skipped < 2 {
                        match iter.next() {
                            Some(x) if !is_ws(&x) => skipped += 1,
                            Some(_) => {}
                            None => break,
                        }
                    }
                } else {
                    out.push(t);
                }
            }
            (0, Some("PARTITION")) if seen_list => {
                // Partitioning does not change rows; sqlparser cannot read MySQL's syntax.
                break;
            }
            _ => out.push(t),
        }
    }
    Rewritten {
        tokens: out,
        options_start,
        zerofill,
    }
}

/// The header of a trigger (`CREATE … FOR EACH ROW`) with a dummy `BEGIN END` body:
/// the model needs no body and sqlparser reads few MySQL trigger bodies. The
/// `DEFINER=…` clause, `IF NOT EXISTS` and `FOLLOWS`/`PRECEDES` are dropped.
fn trigger_header(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut out: Vec<TokenWithSpan> = Vec::new();
    let mut in_definer = false;
    let mut seen_trigger = false;
    let mut sig: Vec<String> = Vec::new();
    let mut last_span = None;
    let mut iter = tokens.into_iter();
    for t in iter.by_ref() {
        last_span = Some(t.span);
        if is_ws(&t) {
            if !in_definer {
                out.push(t);
            }
            continue;
        }
        let up = word_upper(&t);
        if !seen_trigger {
            match up.as_deref() {
                Some("DEFINER") => {
                    in_definer = true;
                    continue;
                }
                Some("TRIGGER") => {
                    in_definer = false;
                    seen_trigger = true;
                }
                _ if in_definer => continue,
                _ => {}
            }
            out.push(t);
            continue;
        }
        // After TRIGGER: drop `IF NOT EXISTS`.
        if sig.is_empty() && up.as_deref() == Some("IF") {
            sig.push("IF".into());
            continue;
        }
        if sig.last().map(String::as_str) == Some("IF") && up.as_deref() == Some("NOT") {
            sig.push("NOT".into());
            continue;
        }
        if sig.last().map(String::as_str) == Some("NOT") && up.as_deref() == Some("EXISTS") {
            sig.push("EXISTS".into());
            continue;
        }
        sig.push(up.clone().unwrap_or_default());
        let n = sig.len();
        out.push(t);
        if n >= 3
            && sig.get(n - 3).map(String::as_str) == Some("FOR")
            && sig.get(n - 2).map(String::as_str) == Some("EACH")
            && sig.get(n - 1).map(String::as_str) == Some("ROW")
        {
            break;
        }
    }
    if let Some(span) = last_span {
        let like = TokenWithSpan::new(Token::Whitespace(Whitespace::Space), span);
        out.push(like.clone());
        out.push(make_word("BEGIN", &like));
        out.push(like.clone());
        out.push(make_word("END", &like));
    }
    out
}

pub(crate) fn is_character_type(t: &str) -> bool {
    matches!(
        t,
        "char"
            | "varchar"
            | "tinytext"
            | "text"
            | "mediumtext"
            | "longtext"
            | "enum"
            | "set"
            | "nchar"
            | "nvarchar"
    )
}

/// Canonical MySQL name of a type name as sqlparser prints it (lowercased).
fn canonical_type(name: &str) -> (&str, Option<u64>) {
    match name {
        "integer" | "int4" => ("int", None),
        "int1" => ("tinyint", None),
        "int2" => ("smallint", None),
        "int3" | "middleint" | "int24" => ("mediumint", None),
        "int8" => ("bigint", None),
        "bool" | "boolean" => ("tinyint", Some(1)),
        "dec" | "numeric" | "fixed" => ("decimal", None),
        "double precision" | "real" | "float8" => ("double", None),
        "float4" => ("float", None),
        "character" => ("char", None),
        "character varying" => ("varchar", None),
        "nchar" | "national char" | "national character" => ("char", None),
        "nvarchar" | "national varchar" | "national character varying" => ("varchar", None),
        other => (other, None),
    }
}

/// Normalizes a sqlparser data type to `(name, params, unsigned)`.
fn convert_type(dt: &DataType) -> (String, TypeParams, bool) {
    match dt {
        DataType::Enum(members, _) => {
            let labels = members
                .iter()
                .map(|m| match m {
                    EnumMember::Name(s) | EnumMember::NamedValue(s, _) => s.clone(),
                })
                .collect();
            return (
                "enum".into(),
                TypeParams {
                    labels,
                    ..Default::default()
                },
                false,
            );
        }
        DataType::Set(labels) => {
            return (
                "set".into(),
                TypeParams {
                    labels: labels.clone(),
                    ..Default::default()
                },
                false,
            );
        }
        _ => {}
    }
    let printed = dt.to_string().to_ascii_lowercase();
    let (head, params, tail) = match printed.split_once('(') {
        Some((head, rest)) => match rest.rsplit_once(')') {
            Some((params, tail)) => (
                head.trim().to_string(),
                params.to_string(),
                tail.to_string(),
            ),
            None => (head.trim().to_string(), rest.to_string(), String::new()),
        },
        None => (printed.clone(), String::new(), String::new()),
    };
    // Without parentheses the modifiers follow the name: "int unsigned".
    let mut head_words: Vec<&str> = head.split_whitespace().collect();
    let mut unsigned = tail.split_whitespace().any(|w| w == "unsigned");
    while let Some(last) = head_words.last() {
        if *last == "unsigned" {
            unsigned = true;
            head_words.pop();
        } else if *last == "signed" {
            head_words.pop();
        } else {
            break;
        }
    }
    let joined = head_words.join(" ");
    let (name, implied_len) = canonical_type(&joined);
    let name = name.to_string();
    let nums: Vec<u64> = params
        .split(',')
        .filter_map(|p| p.trim().parse::<u64>().ok())
        .collect();
    let mut tp = TypeParams::default();
    match name.as_str() {
        "decimal" | "float" | "double" => {
            tp.precision = nums.first().copied();
            tp.scale = nums
                .get(1)
                .copied()
                .or_else(|| (name == "decimal" && tp.precision.is_some()).then_some(0));
        }
        "time" | "datetime" | "timestamp" => tp.fsp = nums.first().copied(),
        _ => tp.length = nums.first().copied().or(implied_len),
    }
    (name, tp, unsigned)
}

fn convert_column(
    position: usize,
    col: &sqlparser::ast::ColumnDef,
    table: &TableSchema,
    flavor: ServerFlavor,
    zerofill: bool,
) -> ColumnSchema {
    let (data_type, type_params, unsigned) = convert_type(&col.data_type);
    let national = matches!(
        col.data_type
            .to_string()
            .to_ascii_lowercase()
            .split('(')
            .next()
            .map(str::trim),
        Some("nchar" | "nvarchar" | "national char" | "national varchar")
    );
    let mut nullable = true;
    let mut charset: Option<String> = None;
    let mut own_collation: Option<String> = None;
    let mut auto_increment = false;
    let mut generated = None;
    let mut invisible = false;
    for opt in &col.options {
        match &opt.option {
            ColumnOption::Null => nullable = true,
            ColumnOption::NotNull | ColumnOption::PrimaryKey(_) => nullable = false,
            ColumnOption::CharacterSet(n) => {
                charset = ident_name(n)
                    .pop()
                    .map(|c| collation::normalize_charset_name(&c));
            }
            ColumnOption::Collation(n) => {
                own_collation = ident_name(n)
                    .pop()
                    .map(|c| collation::normalize_collation_name(&c));
            }
            ColumnOption::DialectSpecific(tokens)
                if tokens.iter().any(|t| {
                    matches!(
                        t,
                        Token::Word(Word {
                            keyword: Keyword::AUTO_INCREMENT,
                            ..
                        })
                    )
                }) =>
            {
                auto_increment = true;
            }
            ColumnOption::Generated {
                generation_expr: Some(expr),
                generation_expr_mode,
                ..
            } => {
                generated = Some(Generated {
                    expr: expr.to_string(),
                    stored: matches!(generation_expr_mode, Some(GeneratedExpressionMode::Stored)),
                });
            }
            ColumnOption::Invisible => invisible = true,
            _ => {}
        }
    }
    let (charset, collation) = if is_character_type(&data_type) {
        let charset = charset
            .or_else(|| own_collation.as_deref().and_then(collation::charset_of))
            .or_else(|| national.then(|| "utf8mb3".to_string()));
        let effective = match (&own_collation, &charset) {
            (Some(c), _) => Some(c.clone()),
            // `CHARACTER SET x` without `COLLATE` means x's default collation, even
            // when the table's collation is another one of x (MySQL and MariaDB).
            (None, Some(cs)) => collation::default_collation(cs, flavor)
                .map(str::to_string)
                .or_else(|| table.default_collation.clone()),
            (None, None) => table.default_collation.clone(),
        };
        let charset = charset
            .or_else(|| effective.as_deref().and_then(collation::charset_of))
            .or_else(|| table.default_charset.clone());
        (charset, effective)
    } else if charset.as_deref() == Some("binary") {
        (Some("binary".to_string()), Some("binary".to_string()))
    } else {
        (None, None)
    };
    ColumnSchema {
        name: col.name.value.clone(),
        position,
        data_type,
        type_params,
        unsigned: unsigned || zerofill,
        nullable,
        charset,
        collation,
        auto_increment,
        generated,
        invisible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(sql: &str) -> (String, TypeParams, bool) {
        let d = dialect();
        let stmt = Parser::parse_sql(&d, &format!("CREATE TABLE t (c {sql})")).unwrap();
        let Some(Statement::CreateTable(ct)) = stmt.into_iter().next() else {
            panic!("not a table")
        };
        convert_type(&ct.columns[0].data_type)
    }

    #[test]
    fn types_are_normalized() {
        let (n, p, u) = ty("INT(10) UNSIGNED");
        assert_eq!((n.as_str(), p.length, u), ("int", Some(10), true));
        let (n, p, u) = ty("decimal(10,2) unsigned");
        assert_eq!(
            (n.as_str(), p.precision, p.scale, u),
            ("decimal", Some(10), Some(2), true)
        );
        let (n, p, _) = ty("numeric(7)");
        assert_eq!(
            (n.as_str(), p.precision, p.scale),
            ("decimal", Some(7), Some(0))
        );
        let (n, p, _) = ty("datetime(6)");
        assert_eq!((n.as_str(), p.fsp), ("datetime", Some(6)));
        let (n, p, _) = ty("year(4)");
        assert_eq!((n.as_str(), p.length), ("year", Some(4)));
        let (n, p, _) = ty("enum('a','b''c')");
        assert_eq!(
            (n.as_str(), p.labels),
            ("enum", vec!["a".to_string(), "b'c".to_string()])
        );
        let (n, p, _) = ty("boolean");
        assert_eq!((n.as_str(), p.length), ("tinyint", Some(1)));
        assert_eq!(ty("integer unsigned").0, "int");
        assert!(ty("bigint unsigned").2);
        assert_eq!(ty("double precision").0, "double");
        assert_eq!(ty("character varying(5)").0, "varchar");
        assert_eq!(ty("inet6").0, "inet6");
        assert_eq!(ty("uuid").0, "uuid");
        assert_eq!(ty("float(7,4)").1.scale, Some(4));
    }

    #[test]
    fn detects_flavor() {
        assert_eq!(
            detect_flavor("/*M!999999\\- enable the sandbox mode */"),
            ServerFlavor::MariaDb
        );
        assert_eq!(
            detect_flavor("-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n-- Server version\t5.7.44\n"),
            ServerFlavor::MySql57
        );
        assert_eq!(
            detect_flavor("-- Server version\t8.0.36\n"),
            ServerFlavor::MySql80
        );
        assert_eq!(
            detect_flavor("CREATE TABLE t (a int) COLLATE=utf8mb4_0900_ai_ci"),
            ServerFlavor::MySql80
        );
        assert_eq!(
            detect_flavor("CREATE TABLE t (a int)"),
            ServerFlavor::MariaDb
        );
        // The line the renderer writes wins over table names in the header.
        assert_eq!(
            detect_flavor("-- Flavor: MySQL 5.7\nCREATE TABLE `MariaDB` (a int)"),
            ServerFlavor::MySql57
        );
        assert_eq!(
            detect_flavor("-- Flavor: MySQL 8.0\n"),
            ServerFlavor::MySql80
        );
    }

    #[test]
    fn split_location_reads_sqlparser_messages() {
        assert_eq!(
            split_location("Expected: x, found: y at Line: 3, Column: 7"),
            ("Expected: x, found: y".to_string(), Some((3, 7)))
        );
        assert_eq!(split_location("odd"), ("odd".to_string(), None));
    }
}
