"""The app's thin layer: one method per callback need, with the role enforced on the server.

Every public method of :class:`Services` takes the logged-in :class:`~orgbridge.app.auth.User`
(or None) first and checks it against :data:`PERMISSIONS` before touching the data, through
the :func:`requires` decorator. What each role receives:

- **executive**: aggregates only. No method that returns a person (a name, a person_id or a
  pseudonym) accepts an executive, and every group under the privacy threshold is blank and
  labelled.
- **analyst**: person-level views where people are pseudonyms (``P-`` and 16 hex digits, a keyed
  hash of the person_id, stable for a workspace).
- **coordinator** and **admin**: names; the recommender and its decisions; admin also loads data.

Group aggregates are suppressed below the privacy threshold for every role.

Example
-------
>>> from orgbridge.app.auth import User
>>> check_access(User("eve", "executive"), "names")
Traceback (most recent call last):
...
orgbridge.errors.AccessDenied: the executive role may not see named people
"""

from __future__ import annotations

from orgbridge.app._access import PERMISSIONS, check_access, pseudonym, requires
from orgbridge.app._services_base import GROUP_METRICS, OBJECTIVES, PERSON_METRICS
from orgbridge.app._services_exposure import ExposureServices
from orgbridge.app._services_jobs import JobServices
from orgbridge.app._services_map import MapServices
from orgbridge.app._services_programme import ProgrammeServices
from orgbridge.app._services_report import ReportServices

__all__ = [
    "GROUP_METRICS",
    "OBJECTIVES",
    "PERMISSIONS",
    "PERSON_METRICS",
    "Services",
    "check_access",
    "pseudonym",
    "requires",
]


class Services(MapServices, ExposureServices, ProgrammeServices, JobServices, ReportServices):
    """Everything the callbacks need from one store, with roles checked on every call.

    Parameters
    ----------
    store
        The workspace or Neo4j store of the organisation.
    min_group
        Privacy threshold (at least 5).
    pseudonym_key
        Secret of the analysts' pseudonyms.
    scratch
        Folder for uploaded files awaiting confirmation (a temporary folder by default).
    offload_above
        Organisations of this many people or more compute their slow metrics (Leiden,
        betweenness, constraint, effective size) in a worker process, so that a running
        computation never holds up other requests.

    Notes
    -----
    Results are cached in memory and shared by every callback; :meth:`start_precompute` fills
    the cache with the standard analysis in a background thread (``create_app`` starts it, and
    a confirmed upload starts it again). The app calls :meth:`refresh` before every request:
    when the store's data stamp changed (another app process or the command line saved new
    data), the cache is dropped and the precompute starts again. Per-person metrics saved by
    ``orgbridge analyze`` or the app's analysis job (``load_metrics("analysis")``) are reused
    while what they were computed from matches the loaded organisation
    (:mod:`orgbridge.metrics._saved`); while they do not, :meth:`refresh` also looks for newly
    saved ones. Storing an upload and the analysis run as owner-bound jobs
    (:mod:`orgbridge.app._services_jobs`), in threads of this process or a queue's worker.
    """
