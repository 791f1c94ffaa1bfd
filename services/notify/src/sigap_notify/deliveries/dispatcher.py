"""The delivery engine. The consumer only records deliveries (one row per event, recipient and
channel, in its own transaction); this dispatcher claims due rows with `FOR UPDATE SKIP
LOCKED`, sends them, and marks them sent, pending again (with exponential backoff) or failed
after the last attempt; the outcomes of a batch are recorded in one statement. Two channels
need only one write per delivery: the dashboard push cannot fail in a way a retry would fix,
so its claim records it sent at once; webhook receivers dedupe on our idempotency key, so a
webhook batch is locked (not written), sent and settled in one transaction, and a crash
mid-batch just makes it due again. Each channel has its own loop, so a channel that is down
delays only its own deliveries; within a channel, a failed delivery waits for its next
attempt while later ones go ahead."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from uuid import UUID

import asyncpg
import structlog

from sigap_notify.channels.base import Channel, Delivery, RetryLater, SettledChannel, Undeliverable
from sigap_notify.deliveries import repository
from sigap_notify.deliveries.batch import BatchReads
from sigap_notify.deliveries.rules import DigestPolicy, backoff_s
from sigap_notify.metrics import count_deliveries
from sigap_notify.recipients import WEBHOOK_PREFIX
from sigap_shared.db import TRANSIENT_DB_ERRORS, listen_forever
from sigap_shared.retry import Backoff

log = structlog.get_logger(__name__)


class Dispatcher:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        connect_kwargs: dict[str, object],
        channels: Mapping[str, Channel],
        max_attempts: int = 6,
        backoff_base_s: float = 2.0,
        backoff_max_s: float = 600.0,
        batch_size: int = 100,
        concurrency: int = 20,
        poll_interval_s: float = 1.0,
        stale_after_s: float = 120.0,
        digest: DigestPolicy | None = None,
    ) -> None:
        self._pool = pool
        self._connect_kwargs = connect_kwargs
        self._channels = dict(channels)
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._poll_interval_s = poll_interval_s
        self._stale_after_s = stale_after_s
        self._digest = digest
        self._wake = {name: asyncio.Event() for name in self._channels}
        self.sent = 0
        self.retried = 0
        self.failed = 0

    def channel(self, name: str) -> Channel | None:
        return self._channels.get(name)

    async def close(self) -> None:
        for channel in self._channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                await close()

    def wake(self) -> None:
        for event in self._wake.values():
            event.set()

    async def run(self) -> None:
        tasks = [asyncio.create_task(self._channel_loop(name), name=f"dispatch-{name}") for name in self._channels]
        tasks.append(asyncio.create_task(self._listen(), name="dispatch-listen"))
        tasks.append(asyncio.create_task(self._recover_loop(), name="dispatch-recover"))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _listen(self) -> None:
        """LISTEN for new deliveries so they leave right after the consumer commits; polling
        remains the fallback while this connection is down."""
        await listen_forever(
            self._connect_kwargs, repository.WAKE_CHANNEL, lambda _payload: self.wake(), name="dispatcher"
        )

    async def _recover_loop(self) -> None:
        resendable = [name for name, channel in self._channels.items() if channel.resend_safe]
        while True:
            try:
                async with self._pool.acquire() as conn:
                    retried, failed = await repository.recover_interrupted(
                        conn=conn, stale_after_s=self._stale_after_s, resendable_channels=resendable
                    )
                if retried or failed:
                    log.warning("interrupted_deliveries_recovered", retried=retried, failed=failed)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - try again on the next round
                log.warning("dispatcher_recovery_failed", error=repr(exc))
            await asyncio.sleep(max(self._stale_after_s / 4, 1.0))

    async def _channel_loop(self, channel_name: str) -> None:
        wake = self._wake[channel_name]
        backoff = Backoff()
        while True:
            wake.clear()
            try:
                handled = await self.dispatch_once(channel_name)
                backoff.succeeded()
            except asyncio.CancelledError:
                raise
            except TRANSIENT_DB_ERRORS as exc:
                log.warning("dispatcher_database_unavailable", channel=channel_name, error=repr(exc))
                await asyncio.sleep(backoff.failed(exc))
                continue
            except Exception as exc:
                log.exception("dispatcher_crashed", channel=channel_name)
                await asyncio.sleep(backoff.failed(exc))
                continue
            if handled < self._batch_size:
                try:
                    await asyncio.wait_for(wake.wait(), self._poll_interval_s)
                except asyncio.TimeoutError:
                    pass

    async def dispatch_once(self, channel_name: str) -> int:
        """Claim and send one batch of due deliveries of a channel; returns how many."""
        channel = self._channels[channel_name]
        settles = getattr(channel, "settles_on_claim", False)
        if getattr(channel, "resend_safe", False) and not settles and not hasattr(channel, "send_digest"):
            return await self._dispatch_locked(channel_name, channel)
        if settles:
            return await self._claim_and_send(channel_name, channel)  # type: ignore[arg-type]
        async with self._pool.acquire() as conn:
            rows = await repository.claim_due(conn=conn, channel=channel_name, limit=self._batch_size)
        if not rows:
            return 0
        await self._send_claimed(channel_name, channel, [Delivery.from_row(row) for row in rows])
        return len(rows)

    async def _claim_and_send(self, channel_name: str, channel: SettledChannel) -> int:
        """Claim a batch as sent and send it in the same transaction: each delivery leaves once,
        when the claim commits (a crash before that leaves it due for the next claim)."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await repository.claim_due(
                conn=conn, channel=channel_name, limit=self._batch_size, settle=True
            )
            if rows:
                await channel.send_claimed([Delivery.from_row(row) for row in rows], conn=conn)
        self.sent += len(rows)
        return len(rows)

    async def _send_claimed(self, channel_name: str, channel: Channel, deliveries: list[Delivery]) -> None:
        """Send a claimed batch (digests where the policy says so) and record how each settled."""
        digests: list[list[Delivery]] = []
        send_digest = getattr(channel, "send_digest", None)
        if self._digest is not None and send_digest is not None:
            deliveries, digests = await self._sort_for_digest(deliveries)
        limit = asyncio.Semaphore(self._concurrency)
        settled: list[repository.Settled] = []

        async def one(delivery: Delivery) -> None:
            async with limit:
                outcome = await self._deliver(channel, delivery, batch)
                if outcome is not None:
                    settled.append(repository.Settled(delivery.id, *outcome))

        async def digest(group: list[Delivery]) -> None:
            async with limit:
                outcome = await self._deliver_digest(send_digest, group, batch)
                if outcome is not None:
                    settled.extend(repository.Settled(delivery.id, *outcome) for delivery in group)

        batch = BatchReads()
        try:
            outcomes = await asyncio.gather(
                *(one(d) for d in deliveries), *(digest(group) for group in digests), return_exceptions=True
            )
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    # Its row stays `sending`; the recovery loop reports or retries it.
                    log.error("dispatch_task_failed", channel=channel_name, error=repr(outcome))
        finally:
            # Recorded even when cancelled half-way, so what did leave is never sent again.
            if settled:
                async with self._pool.acquire() as conn:
                    await repository.settle_many(conn=conn, settled=settled)
                self.sent += sum(1 for one_settled in settled if one_settled.status == "sent")
                count_deliveries(channel_name, [one_settled.status for one_settled in settled])

    async def _dispatch_locked(self, channel_name: str, channel: Channel) -> int:
        """A batch of a channel whose receivers dedupe on our idempotency key: locked, sent and
        settled in one transaction, so each delivery is written once. A crash mid-batch rolls
        back to `pending` and the batch is sent again with the same keys, as the recovery of
        an interrupted `sending` row would."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await repository.lock_due(conn=conn, channel=channel_name, limit=self._batch_size)
            if not rows:
                return 0
            deliveries = [Delivery.from_row(row) for row in rows]
            limit = asyncio.Semaphore(self._concurrency)
            batch = BatchReads()

            async def one(delivery: Delivery) -> tuple[str, str | None, str | None, float | None]:
                async with limit:
                    return await self._attempt(channel, delivery, batch)

            outcomes = await asyncio.gather(*(one(d) for d in deliveries))
            attempts = [
                repository.Attempted(delivery.id, *outcome)
                for delivery, outcome in zip(deliveries, outcomes, strict=True)
            ]
            await repository.settle_locked(conn=conn, attempts=attempts)
            for delivery, (status, _, error, _) in zip(deliveries, outcomes, strict=True):
                if status == "failed" and delivery.channel == "webhook":
                    await self._park(conn, delivery, error or "")
        self.sent += sum(1 for status, _, _, _ in outcomes if status == "sent")
        self.retried += sum(1 for status, _, _, _ in outcomes if status == "pending")
        count_deliveries(channel_name, [status for status, _, _, _ in outcomes])
        self.failed += sum(1 for status, _, _, _ in outcomes if status == "failed")
        return len(rows)

    async def _attempt(
        self, channel: Channel, delivery: Delivery, batch: BatchReads
    ) -> tuple[str, str | None, str | None, float | None]:
        """One send of a locked delivery: (status, masked address, error, retry in s)."""
        try:
            return "sent", await channel.send(delivery, batch=batch), None, None
        except Undeliverable as exc:
            with _log_context(delivery):
                log.info("notification_undeliverable", reason=str(exc))
            return "undeliverable", None, str(exc), None
        except RetryLater as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - a channel bug is retried and finally reported
            with _log_context(delivery):
                log.exception("notification_channel_error")
            error = f"unexpected {type(exc).__name__}"
        with _log_context(delivery):
            if delivery.attempts >= self._max_attempts:
                log.warning("notification_failed", attempts=delivery.attempts, error=error)
                return "failed", None, error, None
            delay = backoff_s(delivery.attempts, base_s=self._backoff_base_s, cap_s=self._backoff_max_s)
            log.info("notification_retry_scheduled", attempts=delivery.attempts, retry_in_s=delay, error=error)
            return "pending", None, error, delay

    async def _park(self, conn: asyncpg.Connection, delivery: Delivery, error: str) -> None:
        """A webhook delivery that failed its last attempt waits in the dead-letter table."""
        subscription_id = UUID(delivery.recipient.removeprefix(WEBHOOK_PREFIX))
        department = await repository.webhook_department(conn=conn, subscription_id=subscription_id)
        await repository.park_webhook_delivery(
            conn=conn,
            notification_id=delivery.id,
            subscription_id=subscription_id,
            department=department or "?",
            error=error,
        )

    async def _sort_for_digest(self, deliveries: list[Delivery]) -> tuple[list[Delivery], list[list[Delivery]]]:
        """Split claimed deliveries into those sent one by one, digests due now (held ones,
        grouped by recipient), and, held back for the next digest, staff mails to recipients
        that got more than the threshold within the window."""
        policy = self._digest
        assert policy is not None
        eligible = [d for d in deliveries if policy.applies_to(d)]
        if not eligible:
            return deliveries, []
        single = [d for d in deliveries if not policy.applies_to(d)]
        due: dict[str, list[Delivery]] = {}
        fresh: dict[str, list[Delivery]] = {}
        for delivery in eligible:
            (due if delivery.held_for_digest else fresh).setdefault(delivery.recipient, []).append(delivery)
        hold: list[int] = []
        if fresh:
            async with self._pool.acquire() as conn:
                recent = await repository.recent_emails(
                    conn=conn,
                    recipients=list(fresh),
                    template=policy.template,
                    window_s=policy.window_s,
                    at_most=policy.threshold + 1,
                )
            for recipient, group in fresh.items():
                if recent.get(recipient, 0) + len(group) > policy.threshold:
                    hold.extend(delivery.id for delivery in group)
                else:
                    single.extend(group)
        if hold:
            async with self._pool.acquire() as conn:
                await repository.hold_for_digest(conn=conn, notification_ids=hold, window_s=policy.window_s)
            log.info("staff_mail_held_for_digest", count=len(hold))
        return single, list(due.values())

    async def _deliver_digest(
        self, send_digest, group: list[Delivery], batch: BatchReads
    ) -> tuple[str, str | None, str | None] | None:
        try:
            masked = await send_digest(group, batch=batch)
        except RetryLater as exc:
            for delivery in group:
                await self._failed_attempt(delivery, str(exc))
            return None
        except Undeliverable as exc:
            return "undeliverable", None, str(exc)
        log.info("staff_digest_sent", recipient=group[0].recipient, count=len(group))
        return "sent", masked, None

    async def _deliver(
        self, channel: Channel, delivery: Delivery, batch: BatchReads
    ) -> tuple[str, str | None, str | None] | None:
        """Send one delivery: returns how it settled (`sent` with the masked address, or
        `undeliverable` with why), recorded with the rest of the batch; None when a retry was
        scheduled (or the delivery failed for good), which is recorded here."""
        try:
            masked = await channel.send(delivery, batch=batch)
        except RetryLater as exc:
            with _log_context(delivery):
                await self._failed_attempt(delivery, str(exc))
            return None
        except Undeliverable as exc:
            with _log_context(delivery):
                log.info("notification_undeliverable", reason=str(exc))
            return "undeliverable", None, str(exc)
        except Exception as exc:  # noqa: BLE001 - a channel bug is retried and finally reported
            with _log_context(delivery):
                log.exception("notification_channel_error")
                await self._failed_attempt(delivery, f"unexpected {type(exc).__name__}")
            return None
        return "sent", masked, None

    async def _failed_attempt(self, delivery: Delivery, error: str) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            if delivery.attempts >= self._max_attempts:
                await repository.mark_final(conn=conn, notification_id=delivery.id, status="failed", error=error)
                if delivery.channel == "webhook":
                    await self._park(conn, delivery, error)
                self.failed += 1
                count_deliveries(delivery.channel, ["failed"])
                log.warning("notification_failed", attempts=delivery.attempts, error=error)
                return
            delay = backoff_s(delivery.attempts, base_s=self._backoff_base_s, cap_s=self._backoff_max_s)
            await repository.mark_retry(conn=conn, notification_id=delivery.id, delay_s=delay, error=error)
        self.retried += 1
        count_deliveries(delivery.channel, ["pending"])
        log.info("notification_retry_scheduled", attempts=delivery.attempts, retry_in_s=delay, error=error)


def _log_context(delivery: Delivery):
    """Bound only where something is logged: binding it around every send was a visible share
    of the dispatcher's CPU."""
    return structlog.contextvars.bound_contextvars(
        notification_id=delivery.id, complaint_id=str(delivery.complaint_id), channel=delivery.channel
    )
