/**
 * Numbered schema migrations. The index + 1 is the schema version stored in PRAGMA user_version.
 * Never edit a released migration: append a new one.
 */
export const migrations: string[] = [
  // 1: service, secrets, jobs with steps and events, alerts, settings
  `
  CREATE TABLE service (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    joined INTEGER NOT NULL DEFAULT 0,
    sdek_fingerprint TEXT NOT NULL,
    sdek_confirmed_at TEXT
  ) STRICT;

  CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    ciphertext BLOB NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES jobs(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    object_kind TEXT,
    object_name TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','cancelled','paused')),
    progress REAL NOT NULL DEFAULT 0,
    message TEXT,
    bytes_done INTEGER NOT NULL DEFAULT 0,
    bytes_total INTEGER NOT NULL DEFAULT 0,
    params TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT '{}',
    error_code TEXT,
    error_message TEXT,
    error_hint TEXT,
    resumable INTEGER NOT NULL DEFAULT 0,
    control TEXT CHECK (control IN ('cancel','pause')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT
  ) STRICT;
  CREATE INDEX jobs_status ON jobs(status);
  CREATE INDEX jobs_parent ON jobs(parent_id);

  CREATE TABLE job_steps (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending','running','succeeded','failed','skipped','cancelled')),
    progress REAL NOT NULL DEFAULT 0,
    started_at TEXT,
    ended_at TEXT,
    error_code TEXT,
    error_message TEXT,
    error_hint TEXT,
    PRIMARY KEY (job_id, idx)
  ) STRICT;

  CREATE TABLE job_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
  ) STRICT;
  CREATE INDEX job_events_job ON job_events(job_id);

  CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    severity TEXT NOT NULL CHECK (severity IN ('info','warning','critical')),
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    hint TEXT,
    object_kind TEXT,
    object_name TEXT,
    job_id TEXT,
    created_at TEXT NOT NULL,
    acknowledged_at TEXT
  ) STRICT;
  `,
  // 2: the console's command history, kept by the engine so it survives restarts in every mode
  `
  CREATE TABLE console_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    line TEXT NOT NULL,
    at TEXT NOT NULL
  ) STRICT;
  `,
  // 3: storage accounts (credentials live in the secret store, never here) and the backup catalog, which can be
  // rebuilt from an account alone (`account rebuild-catalog`)
  `
  CREATE TABLE storage_accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind TEXT NOT NULL CHECK (kind IN ('local','azure')),
    location TEXT NOT NULL,
    container TEXT,
    auth TEXT CHECK (auth IN ('connection-string','account-key','sas-url')),
    endpoint TEXT,
    account_name TEXT,
    repository_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    probe_at TEXT,
    probe_ok INTEGER,
    probe_latency_ms REAL,
    probe_write_bps REAL,
    probe_read_bps REAL,
    probe_error TEXT
  ) STRICT;

  CREATE TABLE backups (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES storage_accounts(id) ON DELETE CASCADE,
    label TEXT,
    hostname TEXT NOT NULL,
    parent_id TEXT,
    created_at TEXT NOT NULL,
    source_key TEXT NOT NULL,
    sources TEXT NOT NULL,
    files INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    bytes_read INTEGER NOT NULL,
    bytes_new INTEGER NOT NULL,
    stored_new INTEGER NOT NULL,
    chunks_new INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX backups_account ON backups(account_id, created_at);
  CREATE INDEX backups_sources ON backups(account_id, source_key, created_at);
  `,
  // 4: virtual arrays (devices) with their shares and volumes, and which backups are whose (with the heat map
  // recorded at that backup). A device's `lineage` names the cloud data it owns; failover hands it to the target.
  `
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL COLLATE NOCASE,
    type TEXT NOT NULL CHECK (type IN ('file','iscsi')),
    status TEXT NOT NULL CHECK (status IN ('ready-to-set-up','online','offline','deactivated','deleted')),
    root TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity > 0),
    domain TEXT,
    time_zone TEXT NOT NULL,
    fips INTEGER NOT NULL DEFAULT 0,
    account_id TEXT REFERENCES storage_accounts(id),
    serial TEXT NOT NULL,
    lineage TEXT NOT NULL,
    replaces TEXT,
    policy TEXT NOT NULL,
    next_backup_at TEXT,
    failover_job_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    registered_at TEXT,
    deactivated_at TEXT,
    deleted_at TEXT
  ) STRICT;
  CREATE UNIQUE INDEX devices_live_name ON devices(name) WHERE status <> 'deleted';

  CREATE TABLE shares (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    name TEXT NOT NULL COLLATE NOCASE,
    description TEXT NOT NULL DEFAULT '',
    tier TEXT NOT NULL CHECK (tier IN ('tiered','locally-pinned')),
    quota INTEGER NOT NULL CHECK (quota > 0),
    users TEXT NOT NULL DEFAULT '[]',
    online INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (device_id, name)
  ) STRICT;

  CREATE TABLE volumes (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    name TEXT NOT NULL COLLATE NOCASE,
    size INTEGER NOT NULL CHECK (size > 0),
    tier TEXT NOT NULL CHECK (tier IN ('tiered','locally-pinned')),
    type TEXT NOT NULL CHECK (type IN ('general','archival')),
    acrs TEXT NOT NULL DEFAULT '[]',
    chap_user TEXT,
    online INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (device_id, name)
  ) STRICT;

  CREATE TABLE device_backups (
    backup_id TEXT PRIMARY KEY REFERENCES backups(id) ON DELETE CASCADE,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('scheduled','manual','final')),
    items TEXT NOT NULL,
    heat TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX device_backups_device ON device_backups(device_id, created_at);
  `,
  // 5: the process that runs a job (pid and kernel start time), so a job whose process died can be told from a live
  // one by whichever Lifeboat opens the data directory next
  `
  ALTER TABLE jobs ADD COLUMN owner_pid INTEGER;
  ALTER TABLE jobs ADD COLUMN owner_start TEXT;
  `,
  // 6: protection of machines: sites (the primary is this installation), replication policies, protected items with
  // their disks and folders, and their recovery points. Phases and health are free text so that failover can add its
  // own without rebuilding the table; the site holds the data, these rows say what is committed.
  `
  CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind TEXT NOT NULL CHECK (kind IN ('primary','local','agent')),
    root TEXT,
    created_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE replication_policies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    frequency_seconds INTEGER NOT NULL,
    rpo_threshold_seconds INTEGER NOT NULL,
    retention_seconds INTEGER NOT NULL,
    app_consistent_seconds INTEGER NOT NULL,
    builtin INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE protected_items (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    primary_site_id TEXT NOT NULL REFERENCES sites(id),
    recovery_site_id TEXT NOT NULL REFERENCES sites(id),
    active_site_id TEXT NOT NULL REFERENCES sites(id),
    policy_id TEXT NOT NULL REFERENCES replication_policies(id),
    account TEXT,
    group_name TEXT,
    commands TEXT NOT NULL DEFAULT '{}',
    phase TEXT NOT NULL,
    paused INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    job_id TEXT,
    pending TEXT,
    next_cycle_at TEXT,
    last_cycle_at TEXT,
    created_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE protected_sources (
    item_id TEXT NOT NULL REFERENCES protected_items(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('disk','folder')),
    name TEXT NOT NULL,
    source_path TEXT NOT NULL,
    state TEXT,
    PRIMARY KEY (item_id, idx)
  ) STRICT;

  CREATE TABLE recovery_points (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES protected_items(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('crash','app')),
    bytes INTEGER NOT NULL,
    group_point TEXT,
    UNIQUE (item_id, seq)
  ) STRICT;
  CREATE INDEX recovery_points_item ON recovery_points(item_id, created_at);
  `,
  // 7: consistency and health of protected items: retry state, resync state and window, app-consistent state, the
  // commands' last runs (bounded output), the estimated pending bytes; an app point's command runs; group points
  // (multi-item points, complete once every member recorded its point); a per-cycle history for the charts (24 h)
  `
  ALTER TABLE protected_items ADD COLUMN retry TEXT;
  ALTER TABLE protected_items ADD COLUMN resync TEXT;
  ALTER TABLE protected_items ADD COLUMN resync_window TEXT;
  ALTER TABLE protected_items ADD COLUMN app_state TEXT;
  ALTER TABLE protected_items ADD COLUMN command_runs TEXT;
  ALTER TABLE protected_items ADD COLUMN command_timeout_seconds INTEGER NOT NULL DEFAULT 300;
  ALTER TABLE protected_items ADD COLUMN pending_bytes INTEGER;
  ALTER TABLE recovery_points ADD COLUMN commands TEXT;

  CREATE TABLE group_points (
    id TEXT PRIMARY KEY,
    group_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    members TEXT NOT NULL,
    complete INTEGER NOT NULL DEFAULT 0
  ) STRICT;

  CREATE TABLE replication_cycles (
    item_id TEXT NOT NULL REFERENCES protected_items(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    ok INTEGER NOT NULL,
    bytes_sent INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    rpo_seconds INTEGER
  ) STRICT;
  CREATE INDEX replication_cycles_item ON replication_cycles(item_id, at);
  `,
  // failover of protected items: each item's failover (not committed, or committed) and its test failover as JSON, and
  // the drill reports of test failovers (point, time to start, command outputs, notes)
  `
  CREATE TABLE item_failovers (
    item_id TEXT PRIMARY KEY REFERENCES protected_items(id) ON DELETE CASCADE,
    failover TEXT,
    test TEXT
  ) STRICT;

  CREATE TABLE failover_drills (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES protected_items(id) ON DELETE CASCADE,
    job_id TEXT,
    point TEXT NOT NULL,
    started_at TEXT NOT NULL,
    time_to_start_ms INTEGER,
    command_runs TEXT NOT NULL,
    test_path TEXT NOT NULL,
    cleaned_up_at TEXT,
    notes TEXT
  ) STRICT;
  CREATE INDEX failover_drills_item ON failover_drills(item_id, started_at);
  `,
  // reprotect: an item replicating in reverse uses the fixed failback policy; its own policy is kept here to come back to
  `
  ALTER TABLE protected_items ADD COLUMN forward_policy_id TEXT;
  `,
  // recovery plans: ordered groups of protected items with actions between them (steps as JSON), each run of a plan
  // (a job), each item's part in a run (its own job and how it ended) and the confirmations of manual actions
  `
  CREATE TABLE recovery_plans (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    steps TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE plan_runs (
    job_id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES recovery_plans(id) ON DELETE CASCADE,
    operation TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX plan_runs_plan ON plan_runs(plan_id, created_at);

  CREATE TABLE plan_run_items (
    job_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    item TEXT NOT NULL,
    child_job_id TEXT,
    status TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (job_id, item)
  ) STRICT;

  CREATE TABLE plan_confirmations (
    job_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    confirmed_at TEXT NOT NULL,
    PRIMARY KEY (job_id, step)
  ) STRICT;
  `,
  // a recovery site (or the primary) paused: items replicating to or from it run no cycles until it is resumed
  `
  ALTER TABLE sites ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
  `,
  // a device whose data root is at a site agent: every file operation on it goes through that site (null: this machine)
  `
  ALTER TABLE devices ADD COLUMN site_id TEXT;
  `,
  // scheduled drills: a test failover of an item every N days at a local time, cleaned up after a hold
  `
  CREATE TABLE drill_schedules (
    item_id TEXT PRIMARY KEY REFERENCES protected_items(id) ON DELETE CASCADE,
    every_days INTEGER NOT NULL,
    at TEXT NOT NULL,
    point TEXT NOT NULL,
    hold_minutes INTEGER NOT NULL,
    next_at TEXT,
    last_run_at TEXT,
    last_drill_id TEXT,
    cleanup_at TEXT,
    last_error TEXT
  ) STRICT;
  ALTER TABLE failover_drills ADD COLUMN scheduled INTEGER NOT NULL DEFAULT 0;
  `,
  // a site's last \`site test\`: its write throughput, the basis of a failover's RTO estimate
  `
  ALTER TABLE sites ADD COLUMN probe_at TEXT;
  ALTER TABLE sites ADD COLUMN probe_write_bps REAL;
  `,
];

export const SCHEMA_VERSION = migrations.length;
