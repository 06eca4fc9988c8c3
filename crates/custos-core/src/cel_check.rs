//! Checking a CEL expression's names against the facts it is evaluated over: what the special
//! measures' conditions and the detection rules share. An expression naming a variable or a
//! field that does not exist could never be true (or never false) and is refused when it is
//! entered, naming the field.

/// CEL's type names, which an expression may use as values (`type(account.depth) == int`).
const TYPE_NAMES: &[&str] = &[
    "bool",
    "bytes",
    "double",
    "int",
    "uint",
    "string",
    "list",
    "map",
    "null_type",
    "type",
];

/// What an expression is, as far as its names go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `account` or `customer`: only their fields may be selected.
    Object(&'static str, &'static [(&'static str, Shape)]),
    /// A map whose keys are not ours to know (`account.resources`).
    Map,
    List,
    /// A string, number or boolean: nothing to select.
    Value,
    /// Anything else (a macro's variable, a call's result): not checked.
    Unknown,
}

/// Checks that `expression` parses and names only the variables of `roots` and the fields
/// they have; the reason otherwise, naming the field (`reads` says which variables there
/// are). Returns the program and the paths of facts it reads (`ip.kind`), in order.
pub fn check(
    expression: &str,
    roots: &[(&'static str, Shape)],
    reads: &str,
) -> Result<(cel::Program, Vec<String>), String> {
    let program = cel::Program::compile(expression)
        .map_err(|e| format!("not a CEL expression: {}", e.to_string().trim()))?;
    let mut walk = Walk {
        roots,
        reads,
        bound: vec![],
        paths: vec![],
    };
    walk.shape(program.expression())?;
    Ok((program, walk.paths))
}

struct Walk<'a> {
    roots: &'a [(&'static str, Shape)],
    reads: &'a str,
    /// The macros' variables in scope.
    bound: Vec<String>,
    /// The paths of facts read, each once.
    paths: Vec<String>,
}

fn fields_list(fields: &[(&str, Shape)]) -> String {
    let names: Vec<&str> = fields.iter().map(|f| f.0).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// The shape of `operand.field` (or `operand[field]`): an object's field must be one of its own.
fn select(operand: Shape, field: &str, path: &str) -> Result<Shape, String> {
    match operand {
        Shape::Object(name, fields) => fields
            .iter()
            .find(|f| f.0 == field)
            .map(|f| f.1)
            .ok_or_else(|| {
                format!(
                    "`{name}.{field}` is not a field: `{name}` has {}",
                    fields_list(fields)
                )
            }),
        Shape::Map => Ok(Shape::Value),
        Shape::List | Shape::Value => Err(format!("`{path}` has no field `{field}`")),
        Shape::Unknown => Ok(Shape::Unknown),
    }
}

/// How `e` reads, as written (for messages): `account.resources`.
fn path(e: &cel::IdedExpr) -> String {
    use cel::common::ast::Expr;
    match &e.expr {
        Expr::Ident(n) => n.clone(),
        Expr::Select(s) => format!("{}.{}", path(&s.operand), s.field),
        _ => "the value".into(),
    }
}

impl Walk<'_> {
    /// The shape of `e`, checking every name in it.
    fn shape(&mut self, e: &cel::IdedExpr) -> Result<Shape, String> {
        use cel::common::ast::{EntryExpr, Expr, LiteralValue, operators};
        match &e.expr {
            Expr::Unspecified | Expr::Literal(_) => Ok(Shape::Unknown),
            // A macro's variable (`@result` is the crate's own accumulator).
            Expr::Ident(n) if self.bound.contains(n) || n.starts_with('@') => Ok(Shape::Unknown),
            Expr::Ident(n) if let Some(r) = self.roots.iter().find(|r| r.0 == n) => {
                self.read(n.clone());
                Ok(r.1)
            }
            Expr::Ident(n) if TYPE_NAMES.contains(&n.as_str()) => Ok(Shape::Unknown),
            Expr::Ident(n) => Err(format!("`{n}` is not a variable: {}", self.reads)),
            Expr::Select(s) => {
                let operand = self.shape(&s.operand)?;
                let got = select(operand, &s.field, &path(&s.operand))?;
                if matches!(operand, Shape::Object(..)) {
                    self.read(format!("{}.{}", path(&s.operand), s.field));
                }
                Ok(got)
            }
            Expr::Call(c) => {
                let target = c.target.as_deref().map(|t| self.shape(t)).transpose()?;
                let mut args = Vec::with_capacity(c.args.len());
                for a in &c.args {
                    args.push(self.shape(a)?);
                }
                // `account['offering']` names a field as `account.offering` does.
                if matches!(
                    c.func_name.as_str(),
                    operators::INDEX | operators::OPT_INDEX
                ) && target.is_none()
                    && let [operand, key] = c.args.as_slice()
                    && let Expr::Literal(LiteralValue::String(k)) = &key.expr
                {
                    let got = select(args[0], k.inner(), &path(operand))?;
                    if matches!(args[0], Shape::Object(..)) {
                        self.read(format!("{}.{}", path(operand), k.inner()));
                    }
                    return Ok(got);
                }
                Ok(Shape::Unknown)
            }
            Expr::Comprehension(c) => {
                self.shape(&c.iter_range)?;
                self.shape(&c.accu_init)?;
                let before = self.bound.len();
                self.bound.push(c.iter_var.clone());
                self.bound.extend(c.iter_var2.clone());
                self.bound.push(c.accu_var.clone());
                let inner = [&c.loop_cond, &c.loop_step, &c.result]
                    .into_iter()
                    .try_for_each(|x| self.shape(x).map(|_| ()));
                self.bound.truncate(before);
                inner.map(|()| Shape::Unknown)
            }
            Expr::List(l) => {
                for x in &l.elements {
                    self.shape(x)?;
                }
                Ok(Shape::List)
            }
            Expr::Map(m) => {
                for x in &m.entries {
                    if let EntryExpr::MapEntry(x) = &x.expr {
                        self.shape(&x.key)?;
                        self.shape(&x.value)?;
                    }
                }
                Ok(Shape::Unknown)
            }
            Expr::Struct(s) => {
                for x in &s.entries {
                    if let EntryExpr::StructField(x) = &x.expr {
                        self.shape(&x.value)?;
                    }
                }
                Ok(Shape::Unknown)
            }
        }
    }

    /// Notes that the expression reads `path`, most precisely: `ip.kind` replaces an `ip`
    /// noted before it (the variable is visited before its field), and `ip` after an
    /// `ip.kind` adds nothing. A path noted already is not noted again.
    fn read(&mut self, path: String) {
        let under = |p: &str, q: &str| q.starts_with(p) && q.as_bytes().get(p.len()) == Some(&b'.');
        if self.paths.iter().any(|p| *p == path || under(&path, p)) {
            return;
        }
        self.paths.retain(|p| !under(p, &path));
        self.paths.push(path);
    }
}
