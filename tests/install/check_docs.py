#!/usr/bin/env python3
"""The man pages (data/man/*.scd) against what the programs and README.md say:
every option of `tessera --help`, `tessera-ctl --help` and `tessera-agent
--help` is documented and nothing else is; the control commands of
tessera-ctl(1) and tessera(1) are exactly those of `tessera-ctl --help` and
README.md; the keys of tessera.conf(5) are exactly those the parser accepts
(section_keys in compositor/config/config.c), section by section.

    check_docs.py SOURCE_ROOT BUILD_ROOT
"""
import re
import subprocess
import sys

source, build = sys.argv[1], sys.argv[2]
failures = []


def fail(message):
    failures.append(message)
    print("FAIL " + message)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def help_text(program):
    result = subprocess.run([program, "--help"], capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"{program} --help exits {result.returncode}")
    return result.stdout


OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def man_sections(page):
    """{section title: [lines]} of an scdoc source."""
    sections, title = {}, None
    for line in read(f"{source}/data/man/{page}.scd").splitlines():
        if line.startswith("# "):
            title = line[2:].strip()
            sections[title] = []
        elif title:
            sections[title].append(line)
    return sections


def definitions(lines):
    """The term lines of a man section (unindented, starting with '*')."""
    return [line for line in lines if line.startswith("*")]


def plain(term):
    return re.sub(r"\s+", " ", term.replace("*", "").replace("_", "")
                  .replace("\\", "")).strip()


def compare(what, documented, actual):
    for item in sorted(actual - documented):
        fail(f"{what}: '{item}' is not documented")
    for item in sorted(documented - actual):
        fail(f"{what}: '{item}' is documented but does not exist")
    if documented == actual:
        print(f"ok   {what}: {len(actual)} match")


def check_config_implemented(tessera):
    result = subprocess.run([tessera, "--check-config", f"{source}/data/tessera.conf"],
                            capture_output=True, text=True)
    return result.returncode == 0


# ---- options -------------------------------------------------------------
programs = {
    "tessera.1": f"{build}/compositor/tessera",
    "tessera-ctl.1": f"{build}/compositor/tessera-ctl",
    "tessera-agent.1": f"{build}/guest-agent/tessera-agent",
}
for page, program in programs.items():
    actual = set(OPTION.findall(help_text(program)))
    documented = set()
    for term in definitions(man_sections(page).get("OPTIONS", [])):
        documented |= set(OPTION.findall(term))
    # tessera --check-config comes with another change (issue 9, helper
    # a2); until that is merged the page may document it ahead of --help.
    if (page == "tessera.1" and "--check-config" in documented - actual
            and not check_config_implemented(program)):
        print("NOTE tessera --check-config is documented but not implemented yet")
        documented.discard("--check-config")
    compare(f"{page} options vs {program} --help", documented, actual)

# ---- control commands ----------------------------------------------------
ctl_help = help_text(programs["tessera-ctl.1"])
match = re.search(r"commands:(.*?)\n\s*--", ctl_help, re.S)
help_commands = {plain(c) for c in re.sub(r"\s+", " ", match.group(1)).split(",")} if match else set()
if not help_commands:
    fail("tessera-ctl --help lists no commands")
compare("tessera-ctl(1) COMMANDS vs tessera-ctl --help",
        {plain(t) for t in definitions(man_sections("tessera-ctl.1")["COMMANDS"])},
        help_commands)
readme = read(f"{source}/README.md")
paragraph = re.search(r"takes one command per line:(.*?)\.\s", readme, re.S)
readme_commands = set(re.findall(r"`([^`]+)`", paragraph.group(1))) if paragraph else set()
compare("README.md control commands vs tessera-ctl --help", readme_commands, help_commands)
control = " ".join(man_sections("tessera.1")["CONTROL"])
control = control[control.index("Commands:"):]
tessera_commands = {plain(c) for c in re.sub(r"\s+", " ", control[len("Commands:"):])
                    .rstrip(". ").split(", ")}
compare("tessera(1) CONTROL vs tessera-ctl --help", tessera_commands, help_commands)

# ---- configuration keys --------------------------------------------------
config_c = read(f"{source}/compositor/config/config.c")
table = re.search(r"section_keys\[.*?\] = \{(.*?)\n\};", config_c, re.S).group(1)
names = {"OUTPUT": "[output]", "OUTPUT_HEAD": "[output NAME]", "DECORATIONS": "[decorations]", "CONTROL": "[control]",
         "DOMAIN": "[domain NAME]", "HOTKEYS": "[hotkeys]", "GPU": "[gpu_passthrough]",
         "INPUT": "[input]", "LOCK": "[lock]"}
parser_keys = {}
for kind, keys in re.findall(r"\[SECTION_(\w+)\]\s*=\s*\{(.*?)\}", table, re.S):
    parser_keys[names[kind]] = set(re.findall(r'"(\w+)"', keys))
conf_page = man_sections("tessera.conf.5")
compare("tessera.conf(5) sections vs config.c",
        {t for t in conf_page if t.startswith("[")}, set(parser_keys))
for section, keys in parser_keys.items():
    documented = set()
    for term in definitions(conf_page.get(section, [])):
        found = re.findall(r"\*([a-z_0-9]+)\*" + (" =" if " = " in term else ""), term)
        if "..." in term and len(found) == 2:  # *focus_1* ... *focus_9*
            stem = found[0].rstrip("0123456789")
            first, last = int(found[0][len(stem):]), int(found[1][len(stem):])
            found = [f"{stem}{n}" for n in range(first, last + 1)]
        documented |= set(found)
    compare(f"tessera.conf(5) {section} keys vs config.c", documented, keys)
    if section not in readme:
        fail(f"README.md does not mention {section}")

print(f"{'FAILED' if failures else 'passed'}: {len(failures)} problem(s)")
sys.exit(1 if failures else 0)
