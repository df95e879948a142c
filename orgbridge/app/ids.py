"""Component ids of the app, one constant each, so layouts, callbacks and tests agree."""

from __future__ import annotations

# ---- shell -------------------------------------------------------------------------------
NAVBAR = "nav"
USER_BADGE = "nav-user"
ALERT = "page-alert"

# ---- login -------------------------------------------------------------------------------
LOGIN_USER = "login-user"
LOGIN_PASSWORD = "login-password"
LOGIN_BUTTON = "login-button"
LOGIN_MESSAGE = "login-message"
LOGIN_REDIRECT = "login-redirect"

# ---- overview ----------------------------------------------------------------------------
OVERVIEW_CARDS = "overview-cards"
OVERVIEW_ALERT = "overview-alert"
OVERVIEW_LOAD = "overview-load"
OVERVIEW_TRENDS = "overview-trends"
OVERVIEW_REPORT = "overview-report"

# ---- glossary ----------------------------------------------------------------------------
GLOSSARY_LIST = "glossary-list"

# ---- silos -------------------------------------------------------------------------------
SILO_GROUP_BY = "silo-group-by"
SILO_MATRIX_VALUE = "silo-matrix-value"
SILO_MATRIX_ORDER = "silo-matrix-order"
SILO_HEATMAP = "silo-heatmap"
SILO_EI = "silo-ei"
SILO_COMMUNITIES = "silo-communities"
SILO_SUMMARY = "silo-summary"
SILO_ALERT = "silo-alert"
SILO_STATUS = "silo-status"
SILO_STATUS_POLL = "silo-status-poll"
BROKER_GRID = "broker-grid"
BROKER_EXPORT = "broker-export"
BROKER_DOWNLOAD = "broker-download"
BRIDGING_GRID = "bridging-grid"
MAP_VIEW = "map-view"
MAP_GROUP = "map-group"
MAP_PERSON = "map-person"
MAP_STEPS = "map-steps"
MAP_COLOUR = "map-colour"
MAP_SIZE = "map-size"
MAP = "map"
MAP_NOTE = "map-note"
MAP_LEGEND = "map-legend"
MAP_PNG = "map-png"
MAP_SVG = "map-svg"
MAP_SEARCH = "map-search"
MAP_SEARCH_NOTE = "map-search-note"

# ---- exposure ----------------------------------------------------------------------------
EXPOSURE_GROUP_BY = "exposure-group-by"
EXPOSURE_HOPS = "exposure-hops"
EXPOSURE_EQUITY = "exposure-equity"
EXPOSURE_LEAST = "exposure-least"
EXPOSURE_MAP = "exposure-map"
EXPOSURE_MAP_LEGEND = "exposure-map-legend"
EXPOSURE_ALERT = "exposure-alert"

# ---- recommend ---------------------------------------------------------------------------
REC_KIND = "rec-kind"
REC_COHORT = "rec-cohort"
REC_OBJECTIVE = "rec-objective"
REC_COUNT = "rec-count"
REC_DIFFERENT_DEPARTMENT = "rec-different-department"
REC_MAX_LEVEL_GAP = "rec-max-level-gap"
REC_RUN = "rec-run"
REC_CANCEL = "rec-cancel"
REC_PROGRESS = "rec-progress"
REC_RESULT = "rec-result"
REC_POLL = "rec-poll"
REC_GRID = "rec-grid"
REC_BEFORE_AFTER = "rec-before-after"
REC_APPROVE = "rec-approve"
REC_DECLINE = "rec-decline"
REC_LOCK = "rec-lock"
REC_DECISION_MESSAGE = "rec-decision-message"
REC_EXPORT_CSV = "rec-export-csv"
REC_EXPORT_XLSX = "rec-export-xlsx"
REC_DOWNLOAD = "rec-download"
REC_ALERT = "rec-alert"

# ---- programme ---------------------------------------------------------------------------
PROGRAMME_GROUP_BY = "programme-group-by"
PROGRAMME_GRID = "programme-grid"
PROGRAMME_COVERAGE = "programme-coverage"
PROGRAMME_ALERT = "programme-alert"
PROGRAMME_HISTORY = "programme-history"
PROGRAMME_HISTORY_GRID = "programme-history-grid"

# ---- data --------------------------------------------------------------------------------
DATA_UPLOAD_PREFIX = "data-upload-"
DATA_KINDS = ("staff", "projects", "pairs", "sponsorships", "viva_p2p")
DATA_FILES = "data-files"
DATA_VALIDATE = "data-validate"
DATA_REPORT = "data-report"
DATA_CONFIRM = "data-confirm"
DATA_TOKEN = "data-token"
DATA_MESSAGE = "data-message"
DATA_ALERT = "data-alert"
DATA_MAPPING = "data-mapping"
DATA_LEADER_RULE = "data-leader-rule"
DATA_SPECIAL = "data-special-grouping"
DATA_SHEET = "data-sheet"
DATA_ALLOW_SHRINK = "data-allow-shrink"
DATA_SPECIAL_MESSAGE = "data-special-message"


def upload(kind: str) -> str:
    """The id of the upload box for one kind of file, e.g. ``upload("staff")``."""
    return f"{DATA_UPLOAD_PREFIX}{kind}"
