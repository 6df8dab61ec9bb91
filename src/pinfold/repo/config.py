"""A repo's ``config.json``, as far as it is read before the repo opens: where the default
repo is, the format and its versions, and the import profile (``pinfold add -n`` hashes as an
add into the repo would, without opening its stores)."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from ..errors import PinfoldError

if TYPE_CHECKING:
    from ..importer import ImportOptions

FORMAT = "pinfold-repo"
VERSION = 1
VERSION_SHARED = 2  # a repo with a part elsewhere (s3:// blocks, a postgresql:// pin set)


class RepoError(PinfoldError):
    """A repo that cannot be opened or created."""


def default_repo_path() -> str:
    return os.environ.get("PINFOLD_REPO") or os.path.join(os.path.expanduser("~"), ".pinfold")


def checked_profile(profile: object, where: str = "") -> str:
    """``profile``, a known import profile; ``where``: the config it was read from."""
    from ..importer.options import PROFILES

    if not isinstance(profile, str) or profile not in PROFILES:
        raise RepoError(f"{where + ': ' if where else ''}unknown import profile {profile!r}"
                        f" (known: {', '.join(sorted(PROFILES))})")
    return profile


def profile_at(path: str | os.PathLike | None = None) -> str | None:
    """The import profile of the repo at ``path`` (default: the default repo), read without
    opening it; ``None`` when there is no repo there or it names none."""
    path = os.fspath(path) if path is not None else default_repo_path()
    cfg_path = os.path.join(path, "config.json")
    try:
        with open(cfg_path) as f:
            cfg = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise RepoError(f"cannot read {cfg_path}: {exc}") from None
    profile = cfg.get("profile") if isinstance(cfg, dict) else None
    return None if profile is None else checked_profile(profile, cfg_path)


def under_profile(options: ImportOptions, profile: str | None) -> ImportOptions:
    """``options`` with ``profile`` under them (every option they set wins), unless they name
    a profile of their own or ``profile`` is ``None``: what an add into a repo with that
    profile imports with (:meth:`Repo.import_options <pinfold.Repo.import_options>`)."""
    if profile is None or options.profile is not None:
        return options
    return options.with_(profile=profile)
