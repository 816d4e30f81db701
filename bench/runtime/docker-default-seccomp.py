#!/usr/bin/env python3
"""Convert docker's default seccomp profile (the moby/containers format with archMap, includes and
excludes by capability, arch and kernel) into an OCI `linux.seccomp` object for one architecture
and one capability set, the way docker/podman resolve it before handing it to the runtime.

  docker-default-seccomp.py [--profile P] [--caps-from config.json] [--inline config.json]

Without --inline it prints the linux.seccomp object; with --inline it prints the config with
linux.seccomp replaced. The capability set is the config's process.capabilities.bounding.
"""

import argparse
import json
import platform
import sys

DEFAULT_PROFILE = "/usr/share/containers/seccomp.json"

# Go's GOARCH names (used by includes/excludes.arches) to the profile's archMap keys.
GOARCH_TO_SCMP = {"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64",
                  "s390x": "SCMP_ARCH_S390X", "ppc64le": "SCMP_ARCH_PPC64LE"}
UNAME_TO_GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "s390x": "s390x",
                   "ppc64le": "ppc64le"}

# Keys of a profile syscall rule that are also OCI Syscall keys; the rest (comment, includes,
# excludes, the symbolic errno) only steer the conversion.
OCI_SYSCALL_KEYS = ("names", "action", "errnoRet", "args")


def kernel_version(release=None):
    release = release or platform.release()
    parts = release.split("-")[0].split(".")
    return tuple(int(p) for p in parts[:2] if p.isdigit())


def rule_applies(rule, goarch, caps, kernel):
    inc = rule.get("includes") or {}
    exc = rule.get("excludes") or {}
    if inc.get("arches") and goarch not in inc["arches"]:
        return False
    if exc.get("arches") and goarch in exc["arches"]:
        return False
    # includes.caps: every listed capability must be held; excludes.caps: none of them may be.
    if inc.get("caps") and not all(c in caps for c in inc["caps"]):
        return False
    if exc.get("caps") and any(c in caps for c in exc["caps"]):
        return False
    if inc.get("minKernel") and kernel < kernel_version(inc["minKernel"]):
        return False
    return True


def architectures(profile, goarch):
    main = GOARCH_TO_SCMP[goarch]
    for entry in profile.get("archMap") or []:
        if entry["architecture"] == main:
            return [main, *entry.get("subArchitectures", [])]
    return [main]


def convert(profile, caps, goarch=None, kernel=None):
    goarch = goarch or UNAME_TO_GOARCH[platform.machine()]
    kernel = kernel or kernel_version()
    out = {"defaultAction": profile["defaultAction"]}
    if "defaultErrnoRet" in profile:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    out["architectures"] = architectures(profile, goarch)
    syscalls = []
    for rule in profile.get("syscalls") or []:
        if not rule.get("names") or not rule_applies(rule, goarch, caps, kernel):
            continue
        oci = {k: rule[k] for k in OCI_SYSCALL_KEYS if rule.get(k) not in (None, [])}
        syscalls.append(oci)
    out["syscalls"] = syscalls
    return out


def bounding_caps(config):
    return set(config.get("process", {}).get("capabilities", {}).get("bounding", []))


def inline(config, profile):
    config.setdefault("linux", {})["seccomp"] = convert(profile, bounding_caps(config))
    return config


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default=DEFAULT_PROFILE)
    ap.add_argument("--caps-from", help="config.json whose bounding capabilities to use")
    ap.add_argument("--inline", help="config.json to print with linux.seccomp set")
    args = ap.parse_args()
    with open(args.profile) as f:
        profile = json.load(f)
    if args.inline:
        with open(args.inline) as f:
            json.dump(inline(json.load(f), profile), sys.stdout, indent=2)
    else:
        caps = set()
        if args.caps_from:
            with open(args.caps_from) as f:
                caps = bounding_caps(json.load(f))
        json.dump(convert(profile, caps), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
