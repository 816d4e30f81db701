"""A `bundle` fixture that gives every container its own cgroup.

Without linux.cgroupsPath the runtime derives the cgroup from the container id (berth/<id>), so
two test runs at once (separate --root dirs, both using id "c1") share one cgroup, and one run's
`delete --force` kills the other's containers. Test modules import this fixture to shadow
conftest's `bundle`: it sets a unique cgroupsPath before the test's own `edit`, which may still
choose its own.
"""

import itertools
import os

import pytest

_serial = itertools.count()


@pytest.fixture
def bundle(bundle):  # noqa: F811 - wraps conftest's fixture of the same name
    def make(args=None, edit=None, name=None):
        path = f"/berth-e2e-{os.getpid()}-{next(_serial)}"

        def unique_then_edit(cfg):
            cfg["linux"]["cgroupsPath"] = path
            if edit is not None:
                edit(cfg)

        return bundle(args, edit=unique_then_edit, name=name)

    return make
