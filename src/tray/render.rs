//! Renders the pure menu model ([`super::menu::Menu`]) onto `muda`.
//!
//! A change that keeps the menu's shape (the same entries with the same ids in the same
//! places: a start, a stop, a rotation) is applied in place, by setting only the labels,
//! check marks and enabled flags that differ; anything else (a session or profile added,
//! removed or moved) builds a new `muda` menu. Menu ids are [`ItemId::key`] strings, so a
//! click maps back with [`ItemId::parse`].

use muda::{CheckMenuItem, IsMenuItem, MenuItem, PredefinedMenuItem, Submenu};

use super::menu::{Entry, ItemId, Menu};

/// A `muda` handle for one entry, in the depth-first order of the model.
enum Handle {
    Submenu(Submenu),
    Check(CheckMenuItem),
    Item(MenuItem),
    Separator,
}

/// The `muda` menu currently shown and the model it shows.
pub struct Rendered {
    /// The root, to hand to the tray icon.
    pub root: muda::Menu,
    model: Menu,
    handles: Vec<Handle>,
}

/// What [`Rendered::update`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// The model was the same: nothing changed.
    Unchanged,
    /// Labels, marks or flags were changed in place.
    InPlace,
    /// A new root menu was built (the tray icon must be given it).
    Rebuilt,
}

impl Rendered {
    /// Builds the `muda` menu for `model`.
    pub fn new(model: Menu) -> Result<Rendered, muda::Error> {
        let root = muda::Menu::new();
        let mut handles = Vec::new();
        for e in &model.entries {
            let h = build(e, &mut handles)?;
            root.append(h.as_ref())?;
        }
        Ok(Rendered {
            root,
            model,
            handles,
        })
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
        let old = flatten(&self.model.entries);
        let new = flatten(&model.entries);
        let same_shape =
            old.len() == new.len() && old.iter().zip(&new).all(|(a, b)| same_slot(a, b));
        if !same_shape {
            *self = Rendered::new(model)?;
            return Ok(Update::Rebuilt);
        }
        for ((a, b), h) in old.iter().zip(&new).zip(&self.handles) {
            if a == b {
                continue;
            }
            match (b, h) {
                (Entry::Submenu { label, .. }, Handle::Submenu(s)) => {
                    if a.label() != label {
                        s.set_text(label);
                    }
                }
                (
                    Entry::Check {
                        label,
                        checked,
                        enabled,
                        ..
                    },
                    Handle::Check(c),
                ) => {
                    if a.label() != label {
                        c.set_text(label);
                    }
                    c.set_checked(*checked);
                    c.set_enabled(*enabled);
                }
                (Entry::Item { label, enabled, .. }, Handle::Item(i)) => {
                    if a.label() != label {
                        i.set_text(label);
                    }
                    i.set_enabled(*enabled);
                }
                _ => {}
            }
        }
        self.model = model;
        Ok(Update::InPlace)
    }

    /// Puts a check item back to the state the model says (GTK flips it on click, before
    /// the click has done anything).
    pub fn reset_check(&self, id: &ItemId) {
        let flat = flatten(&self.model.entries);
        for (e, h) in flat.iter().zip(&self.handles) {
            if let (
                Entry::Check {
                    id: eid, checked, ..
                },
                Handle::Check(c),
            ) = (e, h)
            {
                if eid == id {
                    c.set_checked(*checked);
                }
            }
        }
    }
}

/// Entries depth first, parents before their children (the order [`build`] pushes
/// handles in).
fn flatten(entries: &[Entry]) -> Vec<&Entry> {
    fn walk<'a>(entries: &'a [Entry], out: &mut Vec<&'a Entry>) {
        for e in entries {
            out.push(e);
            walk(e.children(), out);
        }
    }
    let mut out = Vec::new();
    walk(entries, &mut out);
    out
}

/// Whether two entries occupy the same slot: same kind, same id, same number of children.
fn same_slot(a: &Entry, b: &Entry) -> bool {
    match (a, b) {
        (Entry::Submenu { children: x, .. }, Entry::Submenu { children: y, .. }) => {
            x.len() == y.len()
        }
        (Entry::Check { id: x, .. }, Entry::Check { id: y, .. }) => x == y,
        (Entry::Item { id: x, .. }, Entry::Item { id: y, .. }) => x == y,
        (Entry::Separator, Entry::Separator) => true,
        _ => false,
    }
}

/// An owned `muda` item of any kind, to append to a parent.
enum Built {
    Submenu(Submenu),
    Check(CheckMenuItem),
    Item(MenuItem),
    Separator(PredefinedMenuItem),
}

impl Built {
    fn as_ref(&self) -> &dyn IsMenuItem {
        match self {
            Built::Submenu(s) => s,
            Built::Check(c) => c,
            Built::Item(i) => i,
            Built::Separator(p) => p,
        }
    }
}

fn build(entry: &Entry, handles: &mut Vec<Handle>) -> Result<Built, muda::Error> {
    Ok(match entry {
        Entry::Submenu { label, children } => {
            let sub = Submenu::new(label, true);
            handles.push(Handle::Submenu(sub.clone()));
            for c in children {
                let built = build(c, handles)?;
                sub.append(built.as_ref())?;
            }
            Built::Submenu(sub)
        }
        Entry::Check {
            id,
            label,
            checked,
            enabled,
        } => {
            let c = CheckMenuItem::with_id(id.key(), label, *enabled, *checked, None);
            handles.push(Handle::Check(c.clone()));
            Built::Check(c)
        }
        Entry::Item { id, label, enabled } => {
            let i = MenuItem::with_id(id.key(), label, *enabled, None);
            handles.push(Handle::Item(i.clone()));
            Built::Item(i)
        }
        Entry::Separator => {
            handles.push(Handle::Separator);
            Built::Separator(PredefinedMenuItem::separator())
        }
    })
}
