//! The modules' imports form no circle between siblings: read top to bottom, a module's
//! children call each other one way. A module and its own children may call each other (a
//! child reads its parent's types); two siblings may not, directly or round a longer loop.
//! Read from the sources with syn, `#[cfg(test)]` modules left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module's path inside its crate (`["report", "scrub"]`); the root is empty.
type ModulePath = Vec<String>;

/// Every module of the crate rooted at `root` (its main.rs or lib.rs), by path, with the
/// file it lives in.
fn modules(root: &Path) -> BTreeMap<ModulePath, PathBuf> {
    fn walk(dir: &Path, prefix: &ModulePath, found: &mut BTreeMap<ModulePath, PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut inner = prefix.clone();
                inner.push(name);
                walk(&path, &inner, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let mut module = prefix.clone();
                if !matches!(name.as_str(), "mod" | "main" | "lib") {
                    module.push(name);
                }
                found.insert(module, path);
            }
        }
    }
    let mut found = BTreeMap::new();
    walk(root, &Vec::new(), &mut found);
    found
}

/// Collects every path that starts at `crate` or `super`, as written.
#[derive(Default)]
struct Paths {
    found: Vec<Vec<String>>,
}

impl Paths {
    fn tree(&mut self, prefix: &[String], tree: &syn::UseTree) {
        let mut path = prefix.to_vec();
        match tree {
            syn::UseTree::Path(inner) => {
                path.push(inner.ident.to_string());
                self.tree(&path, &inner.tree);
            }
            syn::UseTree::Name(name) => {
                path.push(name.ident.to_string());
                self.found.push(path);
            }
            syn::UseTree::Rename(rename) => {
                path.push(rename.ident.to_string());
                self.found.push(path);
            }
            syn::UseTree::Glob(_) => self.found.push(path),
            syn::UseTree::Group(group) => {
                group.items.iter().for_each(|item| self.tree(&path, item))
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        let test_only = module.attrs.iter().any(|attr| {
            attr.path().is_ident("cfg")
                && attr
                    .parse_args::<syn::Meta>()
                    .is_ok_and(|meta| meta.path().is_ident("test"))
        });
        if !test_only {
            syn::visit::visit_item_mod(self, module);
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.tree(&[], &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if matches!(
            segments.first().map(String::as_str),
            Some("crate" | "super")
        ) {
            self.found.push(segments);
        }
        syn::visit::visit_path(self, path);
    }
}

/// The modules `module` (in `file`) refers to, each the longest known module prefix of a
/// `crate::` or `super::` path.
fn references(
    module: &ModulePath,
    file: &Path,
    known: &BTreeMap<ModulePath, PathBuf>,
) -> BTreeSet<ModulePath> {
    let text = std::fs::read_to_string(file).unwrap();
    let syntax = syn::parse_file(&text).unwrap_or_else(|err| panic!("{}: {err}", file.display()));
    let mut paths = Paths::default();
    paths.visit_file(&syntax);
    let mut found = BTreeSet::new();
    for path in paths.found {
        let (mut resolved, rest) = match path.first().map(String::as_str) {
            Some("crate") => (Vec::new(), &path[1..]),
            Some("super") => (
                module[..module.len().saturating_sub(1)].to_vec(),
                &path[1..],
            ),
            _ => continue,
        };
        resolved.extend(rest.iter().cloned());
        while !resolved.is_empty() && !known.contains_key(&resolved) {
            resolved.pop();
        }
        found.insert(resolved);
    }
    found.remove(module);
    found
}

/// Every circle between the children of one module, as the children's names.
fn sibling_circles(root: &Path) -> Vec<String> {
    let known = modules(root);
    let edges: BTreeMap<&ModulePath, BTreeSet<ModulePath>> = known
        .iter()
        .map(|(module, file)| (module, references(module, file, &known)))
        .collect();
    let mut circles = Vec::new();
    let parents: BTreeSet<ModulePath> = known
        .keys()
        .filter(|module| !module.is_empty())
        .map(|module| module[..module.len() - 1].to_vec())
        .collect();
    for parent in parents {
        let child_of = |module: &ModulePath| -> Option<ModulePath> {
            (module.len() > parent.len() && module.starts_with(&parent))
                .then(|| module[..=parent.len()].to_vec())
        };
        let mut graph: BTreeMap<ModulePath, BTreeSet<ModulePath>> = BTreeMap::new();
        for (module, targets) in &edges {
            let Some(from) = child_of(module) else {
                continue;
            };
            for target in targets {
                if let Some(to) = child_of(target).filter(|to| *to != from) {
                    graph.entry(from.clone()).or_default().insert(to);
                }
            }
        }
        for circle in strongly_connected(&graph) {
            let names: Vec<String> = circle.iter().map(|module| module.join("::")).collect();
            circles.push(format!("{} ({})", names.join(" <-> "), root.display()));
        }
    }
    circles
}

/// The strongly connected components of more than one node (Tarjan's algorithm).
fn strongly_connected(graph: &BTreeMap<ModulePath, BTreeSet<ModulePath>>) -> Vec<Vec<ModulePath>> {
    struct State<'g> {
        graph: &'g BTreeMap<ModulePath, BTreeSet<ModulePath>>,
        index: BTreeMap<&'g ModulePath, usize>,
        low: BTreeMap<&'g ModulePath, usize>,
        stack: Vec<&'g ModulePath>,
        next: usize,
        found: Vec<Vec<ModulePath>>,
    }
    fn visit<'g>(state: &mut State<'g>, node: &'g ModulePath) {
        state.index.insert(node, state.next);
        state.low.insert(node, state.next);
        state.next += 1;
        state.stack.push(node);
        for to in state.graph.get(node).into_iter().flatten() {
            let to = state.graph.get_key_value(to).map_or(to, |(key, _)| key);
            if !state.index.contains_key(to) {
                visit(state, to);
                let low = state.low[node].min(state.low[to]);
                state.low.insert(node, low);
            } else if state.stack.contains(&to) {
                let low = state.low[node].min(state.index[to]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(top) = state.stack.pop() {
                component.push(top.clone());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    state.found
}

#[test]
fn no_two_sibling_modules_import_each_other() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut circles = Vec::new();
    for root in ["conformance", "src"] {
        circles.extend(sibling_circles(&manifest.join(root)));
    }
    assert!(
        circles.is_empty(),
        "import circles between sibling modules:\n{}",
        circles.join("\n")
    );
}

#[test]
fn a_planted_circle_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("main.rs", "mod a;\nmod b;\nmod c;\n");
    write("a.rs", "use crate::b::B;\npub struct A;\n");
    write("b.rs", "pub struct B(crate::c::C);\n");
    write(
        "c.rs",
        "use super::a;\npub struct C;\n#[cfg(test)]\nmod tests { use crate::b; }\n",
    );
    let circles = sibling_circles(dir.path());
    assert_eq!(circles.len(), 1, "{circles:?}");
    assert!(circles[0].starts_with("a <-> b <-> c"), "{circles:?}");
    // A test module's imports are not the module's.
    write(
        "c.rs",
        "pub struct C;\n#[cfg(test)]\nmod tests { use crate::a; }\n",
    );
    assert_eq!(sibling_circles(dir.path()), Vec::<String>::new());
}
