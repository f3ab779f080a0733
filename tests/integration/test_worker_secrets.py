"""A Celery worker process, given no key in its environment, decrypts the provider password that
another process encrypted (with the signing key kept in the database) and logs in to the panel."""

from __future__ import annotations

import subprocess
from typing import Any

from sqlalchemy import String, func, select, type_coerce

from strmline.db.engine import session_scope
from strmline.db.models import Provider, Stream
from strmline.jobs.runtime import JobRuntime
from strmline.services import providers as provider_service
from strmline.services import signing_key
from tests.helpers import wait_for_job
from tests.integration.test_celery import (  # noqa: F401 - fixtures
    db_url,
    prefix,
    pytestmark,
    runtime,
    worker,
)


async def test_worker_syncs_an_xtream_provider_with_an_encrypted_password(
    worker: subprocess.Popen[bytes],  # noqa: F811
    runtime: JobRuntime,  # noqa: F811
    fake_provider: Any,
) -> None:
    assert runtime.settings.secret_key is None  # as in a worker: the key is the database's
    await signing_key.ensure(runtime.session_factory, runtime.settings)
    account = fake_provider.account("globex")
    async with session_scope(runtime.session_factory) as session:
        spec = provider_service.ProviderCreate(
            name="globex",
            kind="xtream",
            url=fake_provider.url,
            username="globex",
            password=account.password,
        )
        provider = await provider_service.create(session=session, spec=spec)
    async with runtime.session_factory() as session:
        stored = await session.scalar(
            select(type_coerce(Provider.password, String)).where(Provider.id == provider.id)
        )
    assert stored.startswith("enc1:") and account.password not in stored
    job = await runtime.submit("sync", {"provider_id": provider.id}, trigger="api")
    done = await wait_for_job(runtime, job.id, states=("succeeded", "failed"), seconds=60)
    assert done.state == "succeeded", done.error
    assert done.worker and done.worker.endswith(f":{worker.pid}")
    async with runtime.session_factory() as session:
        count = await session.scalar(select(func.count()).select_from(Stream))
    assert count == len(account.catalog.live)
