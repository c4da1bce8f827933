#!/usr/bin/python3
"""Reads and clicks the menu a process exports through com.canonical.dbusmenu.

Usage (with Debian's /usr/bin/python3 and python3-dbus, on the process's session bus):
  dbusmenu.py layout PID          print the menu tree as JSON
  dbusmenu.py click PID LABEL...  click the entry reached by this path of labels
  dbusmenu.py item PID            print the StatusNotifierItem's Id, Title, Status and
                                  label (XAyatanaLabel: text a panel draws beside the icon)

The menu is found by the process id: the bus connection that belongs to PID and an object
under it implementing com.canonical.dbusmenu (libayatana-appindicator exports one even with
no tray host). Labels are given and printed as a dbusmenu client displays them (the
com.canonical.dbusmenu spec: "__" shows as "_", any other "_" is an access-key marker and is
not shown); "raw_label" is the label as exported.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

import dbus

IFACE = "com.canonical.dbusmenu"
ITEM_IFACE = "org.kde.StatusNotifierItem"


def plain(label):
    return re.sub(r"_(.?)", r"\1", label)


def find_menu(bus, pid, iface=IFACE):
    dbus_obj = bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus")
    dbus_iface = dbus.Interface(dbus_obj, "org.freedesktop.DBus")
    for name in dbus_iface.ListNames():
        if not name.startswith(":"):
            continue
        try:
            if int(dbus_iface.GetConnectionUnixProcessID(name)) != pid:
                continue
        except dbus.DBusException:
            continue
        path = search(bus, name, "/", 0, iface)
        if path:
            return name, path
    return None


def search(bus, name, path, depth, iface=IFACE):
    if depth > 8:
        return None
    try:
        # A short timeout: a connection of the process that dispatches nothing while idle
        # (a blocking client library's) would hold the search for D-Bus's 25 s.
        xml = bus.get_object(name, path, introspect=False).Introspect(
            dbus_interface="org.freedesktop.DBus.Introspectable", timeout=3)
    except dbus.DBusException:
        return None
    root = ET.fromstring(str(xml))
    if any(i.get("name") == iface for i in root.findall("interface")):
        return path
    for node in root.findall("node"):
        child = node.get("name")
        found = search(bus, name, path.rstrip("/") + "/" + child, depth + 1, iface)
        if found:
            return found
    return None


def convert(item):
    ident, props, children = item
    out = {
        "id": int(ident),
        "label": plain(str(props.get("label", ""))),
        "raw_label": str(props.get("label", "")),
        "type": str(props.get("type", "standard")),
        "enabled": bool(props.get("enabled", True)),
        "visible": bool(props.get("visible", True)),
    }
    if "toggle-type" in props:
        out["toggle_type"] = str(props["toggle-type"])
        out["toggle_state"] = int(props.get("toggle-state", 0))
    if props.get("children-display") == "submenu" or children:
        out["children"] = [convert(c) for c in children]
    return out


def layout(bus, pid):
    found = find_menu(bus, pid)
    if not found:
        return None, None, None
    name, path = found
    menu = dbus.Interface(bus.get_object(name, path, introspect=False), IFACE)
    revision, root = menu.GetLayout(0, -1, dbus.Array([], signature="s"))
    return menu, int(revision), convert(root)


def item(bus, pid):
    found = find_menu(bus, pid, ITEM_IFACE)
    if not found:
        return {"error": f"no StatusNotifierItem exported by pid {pid}"}
    name, path = found
    props = dbus.Interface(bus.get_object(name, path, introspect=False),
                           "org.freedesktop.DBus.Properties")
    got = props.GetAll(ITEM_IFACE)
    return {"id": str(got.get("Id", "")), "title": str(got.get("Title", "")),
            "status": str(got.get("Status", "")), "label": str(got.get("XAyatanaLabel", ""))}


def main():
    cmd, pid = sys.argv[1], int(sys.argv[2])
    bus = dbus.SessionBus()
    if cmd == "item":
        print(json.dumps(item(bus, pid)))
        return 0
    menu, revision, root = layout(bus, pid)
    if root is None:
        print(json.dumps({"error": f"no dbusmenu exported by pid {pid}"}))
        return 3
    if cmd == "layout":
        print(json.dumps({"revision": revision, "root": root}))
        return 0
    if cmd == "click":
        node = root
        for label in sys.argv[3:]:
            kids = [c for c in node.get("children", []) if c["visible"] and c["label"] == label]
            if len(kids) != 1:
                have = [c["label"] for c in node.get("children", [])]
                print(json.dumps({"error": f"{len(kids)} entries labelled {label!r}; have {have}"}))
                return 4
            node = kids[0]
        menu.Event(dbus.Int32(node["id"]), "clicked", dbus.Int32(0, variant_level=1), dbus.UInt32(0))
        print(json.dumps({"clicked": node["id"]}))
        return 0
    print(json.dumps({"error": f"unknown command {cmd}"}))
    return 2


if __name__ == "__main__":
    sys.exit(main())
