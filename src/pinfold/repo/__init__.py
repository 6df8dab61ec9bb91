"""Repos: a blockstore and a pin set in one directory.

Names load their modules on first use: ``pinfold.repo.config`` (what ``add -n`` reads of a
repo) must not bring the stores, the pin set and the codecs with it."""

from ..lazy import lazy_attributes

__getattr__, __dir__ = lazy_attributes(__name__, {
    "BACKENDS": (".repo", "BACKENDS"), "Repo": (".repo", "Repo"),
    "RepoStat": (".repo", "RepoStat"), "CarImport": (".car", "CarImport"),
    "BlockWriter": (".writer", "BlockWriter"),
    "RepoError": (".config", "RepoError"), "default_repo_path": (".config", "default_repo_path"),
})

__all__ = ["BACKENDS", "BlockWriter", "CarImport", "Repo", "RepoError", "RepoStat",
           "default_repo_path"]
