//! Renders the pure menu model ([`super::menu::Menu`]) onto `muda`.
//!
//! A change that keeps the menu's shape (the same entries with the same ids in the same
//! places: a start, a stop, a rotation) is applied in place, by setting only the labels,
//! check marks and enabled flags that differ, and replacing only the submenus whose label
//! changed (a profile marked active); anything else (a session or profile added, removed
//! or moved) builds a new `muda` menu. Menu ids are [`ItemId::key`] strings, so a
//! click maps back with [`ItemId::parse`].

use muda::{CheckMenuItem, IsMenuItem, MenuItem, PredefinedMenuItem, Submenu};

use super::menu::{Entry, ItemId, Menu};

/// The `muda` item of one entry, with those of its children.
enum Node {
    Submenu(Submenu, Vec<Node>),
    Check(CheckMenuItem),
    Item(MenuItem),
    Separator(PredefinedMenuItem),
}

impl Node {
    fn item(&self) -> &dyn IsMenuItem {
        match self {
            Node::Submenu(s, _) => s,
            Node::Check(c) => c,
            Node::Item(i) => i,
            Node::Separator(p) => p,
        }
    }
}

/// The menu or submenu that holds a level of entries.
#[derive(Clone, Copy)]
enum Parent<'a> {
    Root(&'a muda::Menu),
    Sub(&'a Submenu),
}

impl Parent<'_> {
    fn replace(
        &self,
        old: &dyn IsMenuItem,
        new: &dyn IsMenuItem,
        at: usize,
    ) -> Result<(), muda::Error> {
        match self {
            Parent::Root(m) => {
                m.remove(old)?;
                m.insert(new, at)
            }
            Parent::Sub(s) => {
                s.remove(old)?;
                s.insert(new, at)
            }
        }
    }
}

/// The `muda` menu currently shown and the model it shows.
pub struct Rendered {
    /// The root, to hand to the tray icon.
    pub root: muda::Menu,
    model: Menu,
    nodes: Vec<Node>,
}

/// What [`Rendered::update`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// The model was the same: nothing changed.
    Unchanged,
    /// Marks, flags and labels were changed in place (a relabelled submenu is replaced by
    /// a new one at the same place: `muda` cannot relabel a submenu on GTK).
    InPlace,
    /// A new root menu was built (the tray icon must be given it).
    Rebuilt,
}

impl Rendered {
    /// Builds the `muda` menu for `model`.
    pub fn new(model: Menu) -> Result<Rendered, muda::Error> {
        let root = muda::Menu::new();
        let mut nodes = Vec::with_capacity(model.entries.len());
        for e in &model.entries {
            let n = build(e)?;
            root.append(n.item())?;
            nodes.push(n);
        }
        Ok(Rendered { root, model, nodes })
    }

    /// The model shown.
    pub fn model(&self) -> &Menu {
        &self.model
    }

    /// Shows `model`, in place when its shape is the same.
    pub fn update(&mut self, model: Menu) -> Result<Update, muda::Error> {
        if model == self.model {
            return Ok(Update::Unchanged);
        }
        if !same_shape(&self.model.entries, &model.entries) {
            *self = Rendered::new(model)?;
            return Ok(Update::Rebuilt);
        }
        patch(
            Parent::Root(&self.root),
            &self.model.entries,
            &model.entries,
            &mut self.nodes,
        )?;
        self.model = model;
        Ok(Update::InPlace)
    }

    /// Puts a check item back to the state the model says (GTK flips it on click, before
    /// the click has done anything).
    pub fn reset_check(&self, id: &ItemId) {
        fn walk(entries: &[Entry], nodes: &[Node], id: &ItemId) {
            for (e, n) in entries.iter().zip(nodes) {
                match (e, n) {
                    (
                        Entry::Check {
                            id: eid, checked, ..
                        },
                        Node::Check(c),
                    ) if eid == id => c.set_checked(*checked),
                    (Entry::Submenu { children, .. }, Node::Submenu(_, kids)) => {
                        walk(children, kids, id)
                    }
                    _ => {}
                }
            }
        }
        walk(&self.model.entries, &self.nodes, id);
    }
}

/// Whether two levels have the same entries in the same places: same kinds and ids, and
/// submenus of the same shape.
fn same_shape(a: &[Entry], b: &[Entry]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Entry::Submenu { children: p, .. }, Entry::Submenu { children: q, .. }) => {
                same_shape(p, q)
            }
            (Entry::Check { id: p, .. }, Entry::Check { id: q, .. }) => p == q,
            (Entry::Item { id: p, .. }, Entry::Item { id: q, .. }) => p == q,
            (Entry::Separator, Entry::Separator) => true,
            _ => false,
        })
}

/// Applies the differences between two levels of the same shape.
fn patch(
    parent: Parent<'_>,
    old: &[Entry],
    new: &[Entry],
    nodes: &mut [Node],
) -> Result<(), muda::Error> {
    for (at, ((a, b), node)) in old.iter().zip(new).zip(nodes.iter_mut()).enumerate() {
        if a == b {
            continue;
        }
        match (b, &mut *node) {
            (Entry::Submenu { label, children }, Node::Submenu(sub, kids)) => {
                if a.label() != label {
                    let fresh = build(b)?;
                    parent.replace(sub, fresh.item(), at)?;
                    *node = fresh;
                } else {
                    let sub = sub.clone();
                    patch(Parent::Sub(&sub), a.children(), children, kids)?;
                }
            }
            (
                Entry::Check {
                    label,
                    checked,
                    enabled,
                    ..
                },
                Node::Check(c),
            ) => {
                if a.label() != label {
                    c.set_text(label);
                }
                c.set_checked(*checked);
                c.set_enabled(*enabled);
            }
            (Entry::Item { label, enabled, .. }, Node::Item(i)) => {
                if a.label() != label {
                    i.set_text(label);
                }
                i.set_enabled(*enabled);
            }
            _ => {}
        }
    }
    Ok(())
}

fn build(entry: &Entry) -> Result<Node, muda::Error> {
    Ok(match entry {
        Entry::Submenu { label, children } => {
            let sub = Submenu::new(label, true);
            let mut kids = Vec::with_capacity(children.len());
            for c in children {
                let n = build(c)?;
                sub.append(n.item())?;
                kids.push(n);
            }
            Node::Submenu(sub, kids)
        }
        Entry::Check {
            id,
            label,
            checked,
            enabled,
        } => Node::Check(CheckMenuItem::with_id(
            id.key(),
            label,
            *enabled,
            *checked,
            None,
        )),
        Entry::Item { id, label, enabled } => {
            Node::Item(MenuItem::with_id(id.key(), label, *enabled, None))
        }
        Entry::Separator => Node::Separator(PredefinedMenuItem::separator()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn check(id: Uuid, checked: bool) -> Entry {
        Entry::Check {
            id: ItemId::ToggleSession(id),
            label: "s · iam-user · eu-west-1".into(),
            checked,
            enabled: true,
        }
    }

    #[test]
    fn marks_and_labels_keep_the_shape_and_new_entries_do_not() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let sub = |label: &str, kids: Vec<Entry>| Entry::Submenu {
            label: label.into(),
            children: kids,
        };
        let old = vec![sub("dev", vec![check(a, false)]), Entry::Separator];
        let started = vec![sub("● dev", vec![check(a, true)]), Entry::Separator];
        assert!(same_shape(&old, &started), "a start keeps the shape");
        let added = vec![
            sub("dev", vec![check(a, false), check(b, false)]),
            Entry::Separator,
        ];
        assert!(!same_shape(&old, &added), "a new session changes it");
        let other = vec![sub("dev", vec![check(b, false)]), Entry::Separator];
        assert!(
            !same_shape(&old, &other),
            "another session in the same place changes it"
        );
        let moved = vec![Entry::Separator, sub("dev", vec![check(a, false)])];
        assert!(!same_shape(&old, &moved));
    }
}
