"""SQLAlchemy 2 typed models: jobs, styles and style images.

Timestamps are Unix seconds (UTC) as floats: the job engine's hot path writes them with plain
DBAPI statements, and floats compare and sort the same on SQLite and PostgreSQL. The command
line and the window show them as ISO 8601 / local time.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from desktop.config import DEFAULT_MAX_ATTEMPTS


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    message: Mapped[str] = mapped_column(Text, default="")
    progress: Mapped[float | None] = mapped_column(Float, nullable=True)
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON text
    result: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON text
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_ATTEMPTS)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    run_after: Mapped[float] = mapped_column(Float, default=0.0)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    # smaller runs first (like nice); "move to the front" sets it below every other queued job's
    priority: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)

    __table_args__ = (
        # the claim walks this in order: queued, then by priority, then oldest first
        Index("ix_jobs_claim", "status", "priority", "id"),
    )


class Style(Base):
    __tablename__ = "styles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    prompt: Mapped[str] = mapped_column(Text, default="")
    generator: Mapped[str] = mapped_column(String(50))
    folder: Mapped[str] = mapped_column(String(300))  # relative to the data folder
    reference_path: Mapped[str | None] = mapped_column(String(300), nullable=True)  # relative
    lut_path: Mapped[str | None] = mapped_column(String(300), nullable=True)  # relative
    analysis: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON text
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON text: seed, looks, size...
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    # What an imported style looks like (desktop.exchange.pack.content_hash of its .cube and
    # previews as the pack held them): one style per content, so two imports of one pack at
    # once add each style once. NULL for styles made here or imported before schema 0006.
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # When the style was deleted (Unix seconds); NULL for a style in the library. A deleted
    # style is hidden everywhere and can be restored until its files are purged (schema 0007).
    deleted_at: Mapped[float | None] = mapped_column(Float, nullable=True)

    images: Mapped[list[StyleImage]] = relationship(
        back_populates="style",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="StyleImage.position",
    )

    __table_args__ = (
        Index("ix_styles_created", "created_at"),
        # One style per job: a job run again after a crash finds its style instead of making
        # a second one (NULLs, styles made outside any job, may repeat).
        Index("ux_styles_job_id", "job_id", unique=True),
        # NULLs (styles not imported from a pack) may repeat
        Index("ux_styles_content_hash", "content_hash", unique=True),
        Index("ix_styles_deleted", "deleted_at"),
    )


class StyleImage(Base):
    __tablename__ = "style_images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    style_id: Mapped[int] = mapped_column(ForeignKey("styles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(300))  # relative to the data folder
    thumb_path: Mapped[str] = mapped_column(String(300))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)

    style: Mapped[Style] = relationship(back_populates="images")


class JobItem(Base):
    """One item of a batch job (a photo of ``style.apply``): its input, where its output went,
    and whether it is done. Written with plain statements by ``desktop.jobs.items``; deleted
    with its job."""

    __tablename__ = "job_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    input: Mapped[str] = mapped_column(Text)
    output: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, done, failed
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[float] = mapped_column(Float)
    # the worker running this item now, and until when (item-level claiming: every worker
    # with a free slot may take pending items of a running batch)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (
        # an item is keyed by its job and position: a run again after a crash finds it
        Index("ux_job_items_job_position", "job_id", "position", unique=True),
        Index("ix_job_items_claim", "job_id", "status", "position"),
    )


class QueuePause(Base):
    """A paused job type ('*': every type): running jobs finish, no new one of it starts."""

    __tablename__ = "queue_pauses"

    job_type: Mapped[str] = mapped_column(String(100), primary_key=True)
    paused_at: Mapped[float] = mapped_column(Float)
    paused_by: Mapped[str] = mapped_column(String(200))


class Worker(Base):
    """A live work pool (a window's or a ``stylestudio worker``'s), renewed by its heartbeat:
    ``stylestudio workers`` lists the ones seen within a few leases."""

    __tablename__ = "workers"

    owner: Mapped[str] = mapped_column(String(200), primary_key=True)  # host:pid:token, as on jobs
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # window, worker, apply
    slots: Mapped[int] = mapped_column(Integer)
    running: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[float] = mapped_column(Float)
    seen_at: Mapped[float] = mapped_column(Float)
