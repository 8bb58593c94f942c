"""What a running service holds: settings, the engine and session factory, and the PII keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import make_engine, make_sessionmaker
from app.pii.crypto import BlindIndex, FieldCipher, load_key


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    cipher: FieldCipher
    blind_index: BlindIndex
    blind_index_key_bytes: bytes  # also keys the CSRF HMAC (with its own label)
    # PostgreSQL only: a small pool of its own (4 connections) for single statements that commit at once,
    # outside the request's transaction (the case-number counter, app.cases.repository.take_reference). Its
    # own pool, so a request holding a connection never waits for a second one from the pool it holds one of.
    autocommit_engine: AsyncEngine | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AppContext:
        settings = settings.with_keys()
        assert settings.encryption_key and settings.blind_index_key
        engine = make_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            pool_timeout=settings.db_pool_timeout_seconds,
        )
        cipher = FieldCipher(
            primary=(settings.encryption_key_id, load_key(settings.encryption_key)),
            others={kid: load_key(key) for kid, key in settings.encryption_old_keys.items()},
        )
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=make_sessionmaker(engine),
            cipher=cipher,
            blind_index=BlindIndex(load_key(settings.blind_index_key)),
            blind_index_key_bytes=load_key(settings.blind_index_key),
            autocommit_engine=(
                None
                if engine.dialect.name == "sqlite"
                else make_engine(
                    settings.database_url, pool_size=4, pool_timeout=settings.db_pool_timeout_seconds
                )
            ),
        )

    async def close(self) -> None:
        await self.engine.dispose()
        if self.autocommit_engine is not None:
            await self.autocommit_engine.dispose()
