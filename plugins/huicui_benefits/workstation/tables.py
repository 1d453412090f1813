"""The workstation booking table (its own Piccolo app: ``workstation``)."""

from __future__ import annotations

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class WorkstationBooking(Table, tablename="workstation_booking"):
    """A member's booking of a workstation room; ``booked`` ones may not overlap."""

    membership_id = Integer(index=True)
    workstation = Varchar(length=100, index=True)  # the room's name or number, as staff use it
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    purpose = Varchar(length=200, default="")
    attendees = Integer(default=1)
    state = Varchar(length=16, default="booked", index=True)  # booked | cancelled
    created_by_name = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    cancel_reason = Text(default="")
