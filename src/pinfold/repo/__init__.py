"""Repos: a blockstore and a pin set in one directory."""

from .repo import BACKENDS, Repo, RepoError, RepoStat, default_repo_path

__all__ = ["BACKENDS", "Repo", "RepoError", "RepoStat", "default_repo_path"]
