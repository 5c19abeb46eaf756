"""`doorctl sync`: upload the spool's event batches, fetch acknowledgements and card lists.

    result = sync(spool, "http://district:8600", token)

Upload: for each door log in the spool, the oldest records not yet uploaded, in
batches (POST /doors/{id}/event-batches). A batch is marked uploaded in the spool
only after the server answered; if the laptop dies between the two, the next sync
sends it again and the server counts duplicates (idempotent on sequence numbers).
Connection failures and 5xx answers are retried with exponential backoff; when the
server stays away, SyncError says how much is left and the next sync resumes.

Download: the acknowledgement of every upload (and GET /event-acks for the doors
this laptop serves, in case another laptop uploaded), and GET /card-lists (the
doors of the caller's area): new versions wait in the spool for `doorctl push`.
The server's clock (from its answers) sets the spool's time offset, which push
gives the nodes.
"""
from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Callable

import httpx

from host_tools.errors import DoorctlError
from host_tools.spool import Spool

BATCH_RECORDS = 2000           # ~45 KB of JSON: under the server's JSON body limit
RETRIES = 5


class SyncError(DoorctlError):
    pass


@dataclass
class SyncResult:
    uploaded: int = 0             # records the server stored now
    duplicates: int = 0           # records it already had
    rejected: list = field(default_factory=list)
    gaps: dict = field(default_factory=dict)      # door -> gaps the server reports
    batches: int = 0
    acks: dict = field(default_factory=dict)      # door -> acknowledged seq
    card_lists: dict = field(default_factory=dict)  # door -> new version waiting for push
    retries: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _hook(step: str, **info) -> None:
    """Called between the steps of a sync (after_upload: server answered, spool not yet
    updated); tests replace it to kill the process there."""


def _request(client: httpx.Client, method: str, url: str, result: SyncResult, retries: int,
             backoff: float, **kw) -> httpx.Response:
    delay = backoff
    for attempt in range(retries + 1):
        try:
            r = client.request(method, url, **kw)
        except httpx.TransportError as e:
            problem = f"cannot reach the server ({e.__class__.__name__}: {e})"
        else:
            if r.status_code < 500 and r.status_code != 409:   # 409: lost a race with another upload
                return r
            problem = f"the server answered {r.status_code}"
        if attempt == retries:
            raise SyncError(f"{problem}; gave up after {retries + 1} tries. Nothing is lost: "
                            "run doorctl sync again")
        result.retries += 1
        time.sleep(delay)
        delay = min(delay * 2, 10.0)
    raise AssertionError("unreachable")


def _check(r: httpx.Response, what: str) -> dict | list:
    if r.status_code >= 400:
        try:
            body = r.json()
            why = body.get("error") or body
        except ValueError:
            why = r.text[:200]
        raise SyncError(f"{what}: the server refused ({r.status_code}): {why}")
    return r.json()


def _note_server_time(spool: Spool, server_time: float, sent: float, got: float) -> None:
    spool.set_meta("server_offset_s", server_time - (sent + got) / 2)


def sync(spool: Spool, server_url: str, token: str, *, batch_records: int = BATCH_RECORDS,
         retries: int = RETRIES, backoff: float = 0.5, timeout: float = 30.0,
         progress: Callable[[dict], None] | None = None, transport: httpx.BaseTransport | None = None
         ) -> SyncResult:
    result = SyncResult()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server_url.rstrip("/"), headers=headers, timeout=timeout,
                      transport=transport) as client:
        for st in spool.logs():
            while True:
                slices = spool.pending_batch(st.door_id, st.log_id, batch_records)
                if not slices:
                    break
                last_seq = slices[-1]["next"] - 1
                body = {"log_id": st.log_id, "origin": st.origin, "node_id": st.node_id,
                        "head": _head(st.head), "last": last_seq >= st.next_seq - 1,
                        "slices": [{"header": base64.b64encode(s["header"]).decode(),
                                    "first_index": s["first_index"],
                                    "records": base64.b64encode(bytes(s["records"])).decode()}
                                   for s in slices]}
                sent = time.time()
                r = _request(client, "POST", f"/doors/{st.door_id}/event-batches", result, retries, backoff,
                             json=body)
                out = _check(r, f"upload for door {st.door_id}")
                _hook("after_upload", door_id=st.door_id, batch=result.batches)
                with spool.transaction():
                    _note_server_time(spool, out["server_time"], sent, time.time())
                    rejected = {x["seq"] for x in out["rejected"]}
                    for s in slices:
                        # Refused records stay in the spool, marked so: they are not sent again.
                        spool.mark_uploaded(st.door_id, st.log_id, s["first_seq"], s["next"] - 1)
                    spool.set_server_gaps(st.door_id, st.log_id, out["gaps"])
                    if out.get("ack"):
                        spool.put_ack(st.door_id, st.log_id, out["stored_to"], bytes.fromhex(out["ack"]))
                        result.acks[st.door_id] = out["stored_to"]
                result.batches += 1
                result.uploaded += out["stored"]
                result.duplicates += out["duplicates"]
                result.rejected += [{"door_id": st.door_id, **x} for x in out["rejected"] if x["seq"] in rejected]
                if out["gaps"]:
                    result.gaps[st.door_id] = out["gaps"]
                _hook("after_batch", door_id=st.door_id, batch=result.batches)
                if progress:
                    progress({"door_id": st.door_id, "batches": result.batches, "uploaded": result.uploaded,
                              "left": spool.count(uploaded=False)})
        doors = spool.doors()
        if doors:
            sent = time.time()
            r = _request(client, "GET", "/event-acks", result, retries, backoff,
                         params=[("door_id", d) for d in doors])
            acks = _check(r, "acknowledgements")
            with spool.transaction():
                for a in acks:
                    if spool.put_ack(a["door_id"], a["log_id"], a["seq"], bytes.fromhex(a["ack"])):
                        result.acks[a["door_id"]] = a["seq"]
        r = _request(client, "GET", "/card-lists", result, retries, backoff)
        if r.status_code != 403:
            lists = _check(r, "card lists")
            with spool.transaction():
                for item in lists:
                    if spool.put_card_list(item["door_id"], item["version"],
                                           base64.b64decode(item["content_base64"])):
                        result.card_lists[item["door_id"]] = item["version"]
    return result


def _head(head: dict | None) -> dict | None:
    if not head:
        return None
    return {k: head[k] for k in ("seq", "tag", "time", "segment", "mac", "first") if k in head}
