#!/usr/bin/env python3
# test-data.py: checks the Flatpak manifest, the .desktop file and po/POTFILES.in
# against the app id and the source tree. Standard library only.

import configparser
import glob
import json
import os
import re
import sys
import unittest

APP_ID = "io.github.partnerdesk.PartnerDesk"
SOURCE_ROOT = os.path.abspath(
    sys.argv[1] if len(sys.argv) > 1
    else os.path.join(os.path.dirname(__file__), ".."))

# A source file that holds one of these has strings for translators.
TRANSLATABLE = re.compile(r'\b(?:N?C?_|g_dngettext|ngettext)\s*\(\s*"|translatable="yes"')


def source_path(*parts):
    return os.path.join(SOURCE_ROOT, *parts)


class FlatpakManifest(unittest.TestCase):
    def setUp(self):
        path = source_path("flatpak", APP_ID + ".json")
        with open(path, encoding="utf-8") as f:
            self.manifest = json.load(f)

    def test_ids(self):
        m = self.manifest
        self.assertEqual(m.get("id", m.get("app-id")), APP_ID)
        self.assertEqual(m["command"], "partner-desk")
        self.assertEqual(m["runtime"], "org.gnome.Platform")
        self.assertEqual(m["sdk"], "org.gnome.Sdk")
        self.assertEqual(m["runtime-version"], "50")

    def test_finish_args(self):
        args = self.manifest["finish-args"]
        for arg in ("--share=ipc", "--share=network", "--socket=fallback-x11",
                    "--socket=wayland", "--device=dri"):
            self.assertIn(arg, args)
        # fallback-x11 means X11 only where Wayland is missing.
        self.assertNotIn("--socket=x11", args)

    def test_module_builds_this_tree(self):
        module = self.manifest["modules"][-1]
        self.assertEqual(module["name"], "partner-desk")
        self.assertEqual(module["buildsystem"], "meson")
        self.assertIn("-Dserver=false", module.get("config-opts", []))
        self.assertIn({"type": "dir", "path": ".."}, module["sources"])


class DesktopFile(unittest.TestCase):
    def setUp(self):
        self.entry = configparser.ConfigParser(interpolation=None)
        self.entry.optionxform = str
        self.entry.read(source_path("data", APP_ID + ".desktop.in"),
                        encoding="utf-8")

    def test_exec_and_icon(self):
        entry = self.entry["Desktop Entry"]
        self.assertEqual(entry["Exec"].split()[0], "partner-desk")
        self.assertEqual(entry["Icon"], APP_ID)
        self.assertEqual(entry["Name"], "Partner Desk")

    def test_icons_exist(self):
        for rel in (("scalable", APP_ID + ".svg"),
                    ("symbolic", APP_ID + "-symbolic.svg")):
            path = source_path("data", "icons", "hicolor", rel[0], "apps", rel[1])
            self.assertTrue(os.path.isfile(path), path)


class PotFiles(unittest.TestCase):
    def setUp(self):
        with open(source_path("po", "POTFILES.in"), encoding="utf-8") as f:
            self.listed = [line.strip() for line in f
                           if line.strip() and not line.startswith("#")]

    def test_listed_files_exist(self):
        for rel in self.listed:
            self.assertTrue(os.path.isfile(source_path(rel)),
                            "po/POTFILES.in names a missing file: " + rel)

    def test_translatable_files_are_listed(self):
        patterns = ("src/**/*.c", "resources/**/*.ui")
        for pattern in patterns:
            for path in glob.glob(source_path(pattern), recursive=True):
                rel = os.path.relpath(path, SOURCE_ROOT)
                with open(path, encoding="utf-8") as f:
                    if not TRANSLATABLE.search(f.read()):
                        continue
                self.assertIn(rel, self.listed,
                              rel + " has translatable strings but is not in "
                              "po/POTFILES.in")

    def test_linguas_have_catalogues(self):
        with open(source_path("po", "LINGUAS"), encoding="utf-8") as f:
            langs = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        self.assertIn("de", langs)
        for lang in langs:
            self.assertTrue(os.path.isfile(source_path("po", lang + ".po")), lang)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
