//! Renders the pure menu model ([`super::menu::Menu`]) onto `muda`.
//!
//! Only what changed is touched: a start, a stop or a rotation sets the check marks and
//! labels that differ and replaces the submenus whose label changed (a profile marked
//! active); a session added to a profile rebuilds that profile's submenu; a profile added
//! or removed inserts or removes that submenu. The tray host re-reads only those entries,
//! which matters with a thousand sessions (a whole new menu takes libdbusmenu seconds to
//! export). Menu ids are [`ItemId::key`] strings, so a
//! click maps back with [`ItemId::parse`].
//!
//! The model's labels are plain text (an alias such as `a_b & c` is shown as it is);
//! [`muda_text`] turns them into `muda`'s label syntax, where `&` marks a mnemonic, on
//! every path by which a label reaches `muda`.

use std::borrow::Cow;

use muda::{CheckMenuItem, IsMenuItem, MenuItem, PredefinedMenuItem, Submenu};

use super::menu::{Entry, ItemId, Menu, ACTIVE_MARK};

/// A plain label in `muda`'s syntax. `muda` reads `&` as the mnemonic marker and `&&` as
/// a literal `&`, on every platform (GTK: `&` → `_`, `&&` → `&`, `_` → `__`; Windows: the
/// Win32 menu's own syntax, passed through; macOS: `&` dropped, `&&` → `&`), and escapes
/// `_` for GTK itself. So doubling `&` is all it takes for the label to show as written:
/// no mnemonic is ever made from user text.
pub fn muda_text(label: &str) -> Cow<'_, str> {
    if label.contains('&') {
        Cow::Owned(label.replace('&', "&&"))
    } else {
        Cow::Borrowed(label)
    }
}

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
    /// Entries were added, removed or rebuilt: only those, the rest stayed in place.
    Restructured,
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

    /// Shows `model`, changing only what differs: top-level entries are matched by
    /// identity (a profile by its name, an item by its id); a matched entry of the same
    /// shape is updated in place, one of another shape (a session added to a profile) is
    /// rebuilt alone, and unmatched ones (a profile added or removed) are inserted or
    /// removed. The root menu itself is never replaced, so the tray host only ever sees
    /// the entries that changed.
    pub fn update(&mut self, model: Menu) -> Result<Update, muda::Error> {
        if model == self.model {
            return Ok(Update::Unchanged);
        }
        let old = &self.model.entries;
        let new = &model.entries;
        let restructured = !same_shape(old, new);
        let old_keys: Vec<String> = old.iter().map(top_key).collect();
        let new_keys: Vec<String> = new.iter().map(top_key).collect();
        let shortest = old.len().min(new.len());
        let prefix = (0..shortest)
            .take_while(|&i| old_keys[i] == new_keys[i])
            .count();
        let suffix = (0..shortest - prefix)
            .take_while(|&i| old_keys[old.len() - 1 - i] == new_keys[new.len() - 1 - i])
            .count();
        let root = Parent::Root(&self.root);

        let mut nodes = std::mem::take(&mut self.nodes);
        let tail = nodes.split_off(old.len() - suffix);
        let middle = nodes.split_off(prefix);
        for (at, node) in nodes.iter_mut().enumerate() {
            patch_one(root, at, &old[at], &new[at], node)?;
        }
        for node in &middle {
            self.root.remove(node.item())?;
        }
        for (j, e) in new[prefix..new.len() - suffix].iter().enumerate() {
            let node = build(e)?;
            self.root.insert(node.item(), prefix + j)?;
            nodes.push(node);
        }
        for (i, mut node) in tail.into_iter().enumerate() {
            let (a, b) = (old.len() - suffix + i, new.len() - suffix + i);
            patch_one(root, b, &old[a], &new[b], &mut node)?;
            nodes.push(node);
        }
        self.nodes = nodes;
        self.model = model;
        Ok(if restructured {
            Update::Restructured
        } else {
            Update::InPlace
        })
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

/// Identity of a top-level entry: an integration's submenu by the integration (its label
/// says its status, which changes), a profile's submenu by the profile's name (its active
/// mark aside), an item by its id.
fn top_key(e: &Entry) -> String {
    match e {
        Entry::Submenu { label, children } => {
            match children
                .first()
                .and_then(Entry::id)
                .and_then(|i| i.integration())
            {
                Some(id) => format!("g:{id}"),
                None => format!("p:{}", label.strip_prefix(ACTIVE_MARK).unwrap_or(label)),
            }
        }
        Entry::Check { id, .. } | Entry::Item { id, .. } => format!("i:{}", id.key()),
        Entry::Separator => "-".to_string(),
    }
}

/// Brings the entry at position `at` of `parent` from `a` to `b`: in place when they have
/// the same shape and label, by a new item otherwise.
fn patch_one(
    parent: Parent<'_>,
    at: usize,
    a: &Entry,
    b: &Entry,
    node: &mut Node,
) -> Result<(), muda::Error> {
    if a == b {
        return Ok(());
    }
    let in_place = same_shape(std::slice::from_ref(a), std::slice::from_ref(b))
        && !(matches!(b, Entry::Submenu { .. }) && a.label() != b.label());
    if !in_place {
        let fresh = build(b)?;
        parent.replace(node.item(), fresh.item(), at)?;
        *node = fresh;
        return Ok(());
    }
    match (b, &mut *node) {
        (Entry::Submenu { children, .. }, Node::Submenu(sub, kids)) => {
            let sub = sub.clone();
            for (i, ((x, y), n)) in a
                .children()
                .iter()
                .zip(children)
                .zip(kids.iter_mut())
                .enumerate()
            {
                patch_one(Parent::Sub(&sub), i, x, y, n)?;
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
                c.set_text(muda_text(label));
            }
            c.set_checked(*checked);
            c.set_enabled(*enabled);
        }
        (Entry::Item { label, enabled, .. }, Node::Item(i)) => {
            if a.label() != label {
                i.set_text(muda_text(label));
            }
            i.set_enabled(*enabled);
        }
        _ => {}
    }
    Ok(())
}

fn build(entry: &Entry) -> Result<Node, muda::Error> {
    Ok(match entry {
        Entry::Submenu { label, children } => {
            let sub = Submenu::new(muda_text(label), true);
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
            muda_text(label),
            *enabled,
            *checked,
            None,
        )),
        Entry::Item { id, label, enabled } => Node::Item(MenuItem::with_id(
            id.key(),
            muda_text(label),
            *enabled,
            None,
        )),
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

    fn texts(r: &Rendered) -> Vec<String> {
        r.root
            .items()
            .iter()
            .map(|i| match i {
                muda::MenuItemKind::Submenu(s) => s.text(),
                muda::MenuItemKind::Check(c) => format!("[{}] {}", c.is_checked(), c.text()),
                muda::MenuItemKind::MenuItem(m) => m.text(),
                _ => "—".to_string(),
            })
            .collect()
    }

    /// What a label in `muda`'s syntax shows, and its mnemonic (muda's rules: `&&` is a
    /// literal `&`, `&x` makes `x` the mnemonic).
    fn shown(muda: &str) -> (String, Option<char>) {
        let (mut text, mut mnemonic) = (String::new(), None);
        let mut chars = muda.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, chars.peek()) {
                ('&', Some('&')) => {
                    chars.next();
                    text.push('&');
                }
                ('&', Some(&m)) => {
                    mnemonic.get_or_insert(m);
                }
                _ => text.push(c),
            }
        }
        (text, mnemonic)
    }

    #[test]
    fn labels_show_ampersands_and_underscores_as_written() {
        assert_eq!(muda_text("a_b & c"), "a_b && c");
        assert_eq!(muda_text("&&"), "&&&&");
        assert!(matches!(muda_text("plain_name"), Cow::Borrowed(_)));
        for label in ["a_b & c", "&x", "x&", "&&", "R&D", "__", "<b>x</b> & y"] {
            assert_eq!(
                shown(&muda_text(label)),
                (label.to_string(), None),
                "{label}"
            );
        }
    }

    #[test]
    fn rendered_items_carry_the_escaped_labels_when_built_and_relabelled() {
        use crate::model::{IamUser, Session, SessionKind, State};
        use crate::tray::menu::{build as model, MenuInputs};
        use std::collections::BTreeSet;
        let mut state = State::new();
        state.add_profile("R&D_team").unwrap();
        let id = Uuid::new_v4();
        state
            .add_session(Session {
                id,
                alias: "a_b & c".into(),
                profile: "R&D_team".into(),
                region: "eu-west-1".into(),
                kind: SessionKind::IamUser(IamUser {
                    mfa_serial: None,
                    duration_secs: 3600,
                }),
            })
            .unwrap();
        let menu_of = |state: &State| {
            model(&MenuInputs {
                state,
                now: chrono::Utc::now(),
                attention: &BTreeSet::new(),
                start_at_login: false,
                activity: &Default::default(),
                session_actions: false,
            })
        };
        let find = |r: &Rendered| -> (String, String) {
            for item in r.root.items() {
                if let muda::MenuItemKind::Submenu(s) = item {
                    if shown(&s.text()).0.ends_with("R&D_team") {
                        let check = s
                            .items()
                            .into_iter()
                            .find_map(|i| match i {
                                muda::MenuItemKind::Check(c) => Some(c.text()),
                                _ => None,
                            })
                            .expect("the session's check item");
                        return (s.text(), check);
                    }
                }
            }
            panic!("no submenu for the profile");
        };
        let mut r = Rendered::new(menu_of(&state)).unwrap();
        let (profile, item) = find(&r);
        assert_eq!(profile, "R&&D_team");
        assert_eq!(
            shown(&item),
            ("a_b & c · iam-user · eu-west-1".into(), None)
        );

        // Relabelled in place (a new region).
        let mut s = state.session(id).unwrap().clone();
        s.region = "eu-north-1".into();
        state.replace_session(s).unwrap();
        r.update(menu_of(&state)).unwrap();
        let (_, item) = find(&r);
        assert_eq!(item, "a_b && c · iam-user · eu-north-1");
    }

    #[test]
    fn updates_touch_only_what_changed_and_end_equal_to_a_fresh_render() {
        use crate::model::State;
        use crate::testing::iam_user as session;
        use crate::tray::menu::{build as model, MenuInputs};
        use std::collections::BTreeSet;
        let menu_of = |state: &State| {
            model(&MenuInputs {
                state,
                now: chrono::Utc::now(),
                attention: &BTreeSet::new(),
                start_at_login: false,
                activity: &Default::default(),
                session_actions: false,
            })
        };
        let mut state = State::new();
        state.add_profile("dev").unwrap();
        state.add_session(session("a", "dev")).unwrap();
        let mut r = Rendered::new(menu_of(&state)).unwrap();
        let first = texts(&r);

        // A profile added between the others and the global items.
        state.add_profile("ops").unwrap();
        assert_eq!(r.update(menu_of(&state)).unwrap(), Update::Restructured);
        assert_eq!(texts(&r), texts(&Rendered::new(menu_of(&state)).unwrap()));
        assert_eq!(texts(&r).len(), first.len() + 1);
        // A session added to it rebuilds that submenu alone.
        state.add_session(session("b", "ops")).unwrap();
        assert_eq!(r.update(menu_of(&state)).unwrap(), Update::Restructured);
        assert_eq!(texts(&r), texts(&Rendered::new(menu_of(&state)).unwrap()));
        // The same state again: nothing to do.
        assert_eq!(r.update(menu_of(&state)).unwrap(), Update::Unchanged);
        // The profile removed (its session moves to default).
        state.remove_profile("ops").unwrap();
        r.update(menu_of(&state)).unwrap();
        assert_eq!(texts(&r), texts(&Rendered::new(menu_of(&state)).unwrap()));
        assert_eq!(r.model(), &menu_of(&state));
    }

    #[test]
    fn an_integrations_progress_relabels_its_submenu_alone_and_aliases_are_escaped() {
        use crate::model::{Integration, State};
        use crate::tray::menu::{build as model, Activity, MenuInputs};
        use std::collections::{BTreeMap, BTreeSet};
        let mut state = State::new();
        let id = Uuid::new_v4();
        state
            .add_integration(Integration {
                id,
                alias: "R&D_corp".into(),
                start_url: "https://d-1.awsapps.com/start".into(),
                region: "eu-west-1".into(),
                sign_in: None,
                synced_at: None,
            })
            .unwrap();
        let menu_of = |activity: &BTreeMap<Uuid, Activity>| {
            model(&MenuInputs {
                state: &state,
                now: chrono::Utc::now(),
                attention: &BTreeSet::new(),
                start_at_login: false,
                activity,
                session_actions: false,
            })
        };
        let idle = BTreeMap::new();
        let mut r = Rendered::new(menu_of(&idle)).unwrap();
        let before = texts(&r);
        assert!(
            before.contains(&"R&&D_corp · logged-out".to_string()),
            "{before:?}"
        );
        let root = r.root.clone();
        let others: Vec<String> = before
            .iter()
            .filter(|t| !t.contains("corp"))
            .cloned()
            .collect();
        for (done, total) in [(0, 0), (340, 1000), (1000, 1000)] {
            let syncing: BTreeMap<Uuid, Activity> =
                [(id, Activity::Syncing { done, total })].into();
            // Only the integration's submenu changes: same keys, same place.
            assert_eq!(r.update(menu_of(&syncing)).unwrap(), Update::InPlace);
            assert_eq!(texts(&r), texts(&Rendered::new(menu_of(&syncing)).unwrap()));
        }
        assert!(texts(&r).contains(&"R&&D_corp · Syncing… 1,000/1,000".to_string()));
        let after: Vec<String> = texts(&r)
            .into_iter()
            .filter(|t| !t.contains("corp"))
            .collect();
        assert_eq!(after, others);
        assert_eq!(r.root.id(), root.id(), "the root menu is never replaced");
        r.update(menu_of(&idle)).unwrap();
        assert_eq!(texts(&r), before);
        assert_eq!(
            top_key(&r.model().entries[5]),
            format!("g:{id}"),
            "an integration's submenu is known by the integration, not its label"
        );
    }
}
