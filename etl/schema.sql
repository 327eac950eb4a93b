-- WIF stats warehouse schema (DuckDB).
-- Conventions
--   * Every TIMESTAMP is naive local time in Europe/Paris (the service's time zone).
--   * Department codes are INSEE codes as text: '01'..'95', '2A', '2B', '971'..'976'.
--   * Nothing nominative is ever stored (see docs/privacy.md). Dossier numbers are kept for upserts
--     and internal drill-downs only; public views never show them.
-- The ETL builds a NEW file with this schema, loads it, then publishes it with os.replace.

-- Key/value facts about this build: is_demo ('true'/'false'), built_at (ISO timestamp),
-- schema_version, demo_seed, demo_scale, demo_end, data_start, data_end.
CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

-- One row per ETL run of one source scope (also failed runs, see issue 10).
CREATE TABLE etl_runs (
    run_id      VARCHAR NOT NULL,      -- uuid4 hex of the run
    source      VARCHAR NOT NULL,      -- 'demo' | 'matomo' | 'ds' | 'import'
    scope       VARCHAR,               -- Matomo site id, DS démarche number, imported file name
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status      VARCHAR NOT NULL,      -- 'success' | 'failed'
    watermark   VARCHAR,               -- matomo: last complete day 'YYYY-MM-DD'; ds: ISO timestamp for next updatedSince
    rows_json   VARCHAR,               -- JSON object {table: rows loaded}
    error       VARCHAR                -- one-line error message when failed
);

-- ---------------------------------------------------------------- reference tables
CREATE TABLE ref_departements (
    code        VARCHAR PRIMARY KEY,   -- '75'
    name        VARCHAR NOT NULL,      -- 'Paris'
    region_code VARCHAR NOT NULL,      -- ISO 3166-2:FR region suffix as Matomo reports it: 'IDF'
    region_name VARCHAR NOT NULL       -- 'Île-de-France'
);

CREATE TABLE ref_contract_categories (
    code       VARCHAR PRIMARY KEY,    -- apprentissage | professionnalisation | cdd | cdi | doctorat | ater | interne | autre
    label      VARCHAR NOT NULL,       -- French display label
    sort_order INTEGER NOT NULL
);

CREATE TABLE ref_countries (
    iso2    VARCHAR PRIMARY KEY,       -- 'MA'
    name_fr VARCHAR NOT NULL           -- 'Maroc'
);

-- WIF page keys (what URL normalisation maps every page URL to) with their role in the journey.
CREATE TABLE ref_pages (
    page_key VARCHAR PRIMARY KEY,      -- accueil | etudiant | employeur | non_eligible | faq | cgu | stats | verification | introduction | autre
    label    VARCHAR NOT NULL,         -- French display label
    role     VARCHAR NOT NULL          -- entree | checklist | non_eligible | information | autre
);

-- One row per day over the data range (+ margins). Working days exclude weekends and French public holidays.
CREATE TABLE calendar (
    day               DATE PRIMARY KEY,
    is_weekend        BOOLEAN NOT NULL,
    is_holiday        BOOLEAN NOT NULL,
    holiday_name      VARCHAR,
    is_working_day    BOOLEAN NOT NULL,
    working_day_index INTEGER NOT NULL  -- number of working days from the first calendar day up to and including this day
);

-- DS démarches followed by the ETL (from DS_DEMARCHES_FILE, default config/demarches.csv, or the demo's demarches.csv).
CREATE TABLE demarches (
    demarche_number INTEGER PRIMARY KEY,
    departement     VARCHAR,           -- department whose unit instructs it; NULL for a national démarche
    audience        VARCHAR NOT NULL,  -- 'etudiant' | 'employeur'
    slug            VARCHAR,           -- 'ud75-apt-etudiants' (the /commencer/<slug> path)
    title           VARCHAR
);

-- ---------------------------------------------------------------- Démarches Simplifiées
CREATE TABLE dossiers (
    demarche_number    INTEGER NOT NULL,
    dossier_number     BIGINT  NOT NULL,
    departement        VARCHAR,        -- instructing department (démarche mapping; else titre-de-séjour champ)
    audience           VARCHAR,        -- 'etudiant' | 'employeur'
    groupe_instructeur VARCHAR,        -- groupeInstructeur.label
    state              VARCHAR NOT NULL, -- en_construction | en_instruction | accepte | refuse | sans_suite
    depose_at          TIMESTAMP,      -- dateDepot
    en_construction_at TIMESTAMP,      -- datePassageEnConstruction
    en_instruction_at  TIMESTAMP,      -- datePassageEnInstruction
    traite_at          TIMESTAMP,      -- dateTraitement (decision), NULL while open
    modified_at        TIMESTAMP,      -- dateDerniereModification
    contract_category  VARCHAR,        -- ref_contract_categories.code ('autre' when unknown)
    contract_label     VARCHAR,        -- raw "Type de contrat" value as entered
    demande_type       VARCHAR,        -- 'premiere' | 'renouvellement' | NULL
    nationality        VARCHAR,        -- ISO-2, NULL when unknown
    apt_start          DATE,           -- "Date de début" of the APT (NULL when invalid)
    apt_end            DATE,           -- "Date de fin" of the APT (NULL when invalid)
    hours_per_week     DOUBLE,         -- "Nombre d'heures"
    archived           BOOLEAN NOT NULL DEFAULT FALSE,
    source             VARCHAR NOT NULL, -- 'graphql' | 'export'
    -- Processing durations derived by the ETL (``finalize``) from the dates above and the ``calendar``, in whole
    -- days between the Paris-time dates of two events: calendar days = difference of the dates, working days =
    -- working days after the first date up to and including the second (``calendar.working_day_index``).
    total_calendar        INTEGER,     -- traite_at − depose_at; NULL while either is missing
    total_working         INTEGER,
    construction_calendar INTEGER,     -- en_instruction_at − depose_at, only when depose_at ≤ en_instruction_at
    construction_working  INTEGER,     --   ≤ traite_at (a consistent passage en instruction), else NULL
    instruction_calendar  INTEGER,     -- traite_at − en_instruction_at, same condition
    instruction_working   INTEGER,
    PRIMARY KEY (demarche_number, dossier_number)
);

-- ---------------------------------------------------------------- Matomo
-- One row per visit of the raw log (Live.getLastVisitsDetails), privacy-filtered.
CREATE TABLE visits (
    visit_key       BIGINT PRIMARY KEY, -- surrogate key assigned by the load; NOT Matomo's idVisit
    site_id         INTEGER NOT NULL,
    visit_date      DATE NOT NULL,      -- serverDate (site time zone)
    started_at      TIMESTAMP NOT NULL, -- firstActionTimestamp, Europe/Paris
    ended_at        TIMESTAMP NOT NULL, -- lastActionTimestamp, Europe/Paris
    duration_s      INTEGER NOT NULL,   -- visitDuration
    nb_pageviews    INTEGER NOT NULL,   -- actions of type 'action'
    nb_actions      INTEGER NOT NULL,   -- all action rows (action, outlink, download, event)
    visitor_type    VARCHAR,            -- 'new' | 'returning'
    device_type     VARCHAR,            -- lower-case Matomo deviceType: desktop | smartphone | tablet | phablet | ...
    browser         VARCHAR,            -- browserName
    os              VARCHAR,            -- operatingSystemName
    referrer_type   VARCHAR,            -- direct | search | website | social | campaign
    referrer_name   VARCHAR,            -- search engine / social network name or referrer HOST only
    country_code    VARCHAR,            -- ISO-2 upper case
    region_code     VARCHAR,            -- Matomo regionCode (FR: 'IDF', 'ARA', ...)
    region_name     VARCHAR,
    -- derived from the visit's URLs by the ETL (etl/warehouse.py)
    audience        VARCHAR,            -- 'etudiant' | 'employeur' | NULL
    departement     VARCHAR,            -- department asked for in the journey, or NULL
    entry_page      VARCHAR,            -- page_key of the first page view
    exit_page       VARCHAR,            -- page_key of the last page view
    reached_ds      BOOLEAN NOT NULL DEFAULT FALSE, -- the visit clicked an outlink to a DS /commencer/ form
    ds_departure_at TIMESTAMP,          -- first such click
    seconds_to_ds   INTEGER,            -- ds_departure_at - started_at, seconds
    journey_depth   TINYINT NOT NULL DEFAULT 0 -- deepest funnel step reached: 3 DS departure, 2 a checklist
                                       -- page viewed (role 'checklist'), 1 the home page viewed, else 0
);

-- One row per actionDetails entry of a visit.
CREATE TABLE actions (
    visit_key    BIGINT  NOT NULL,
    position     INTEGER NOT NULL,      -- 1-based order inside the visit
    action_type  VARCHAR NOT NULL,      -- 'action' | 'outlink' | 'download' | 'event'
    action_at    TIMESTAMP NOT NULL,    -- Europe/Paris
    time_spent_s INTEGER,               -- timeSpent (page views), NULL otherwise
    page_key     VARCHAR,               -- normalised page key; 'depart_ds' for DS outlinks; 'document' for downloads
    url          VARCHAR,               -- sanitised URL: scheme+host+path, whitelisted query params only, no fragment
    title        VARCHAR,               -- page title / link label
    departement  VARCHAR,               -- department carried by the URL, if any
    audience     VARCHAR,               -- audience carried by the URL, if any
    ds_slug      VARCHAR                -- DS démarche slug for DS outlinks ('ud75-apt-etudiants')
);

-- The path of each visit with at least one page, derived from its actions by the ETL (``finalize``): the page
-- keys viewed (consecutive repeats merged) up to the first DS departure ('depart_ds'), else ended by 'sortie'.
-- Each distinct path is stored once in ``paths``; a visit points to it, so that counting visits per path groups
-- integers, not lists.
CREATE TABLE paths (
    path_id INTEGER   PRIMARY KEY,    -- assigned by the ETL in order of arrival; never reused for another path
    path    VARCHAR[] NOT NULL        -- distinct
);

-- With the visit's day, department and audience, so the Parcours filters select paths without joining visits.
CREATE TABLE visit_paths (
    visit_key   BIGINT  NOT NULL,
    path_id     INTEGER NOT NULL,     -- paths.path_id
    visit_date  DATE    NOT NULL,     -- visits.visit_date
    departement VARCHAR,              -- visits.departement (derived from the journey)
    audience    VARCHAR               -- visits.audience (derived from the journey)
);

-- Visits per day, department, audience and path, counted from ``visit_paths`` by the ETL (``finalize``, per
-- replaced day), so that the Parcours paths sum a few rows per day instead of counting every visit. Additive.
CREATE TABLE visit_paths_daily (
    visit_date  DATE    NOT NULL,
    departement VARCHAR,
    audience    VARCHAR,
    path_id     INTEGER NOT NULL,     -- paths.path_id
    visits      BIGINT  NOT NULL
);

-- The visits that viewed the "département non couvert" page (page_key 'non_eligible'), derived from their actions by
-- the ETL (``finalize``): one row per visit and department carried by those views' URLs, with the visit's day,
-- department and audience (as in ``visits``) so that the ineligibility figures of the Parcours page filter it
-- without scanning the actions or joining the visits.
CREATE TABLE ineligible_views (
    visit_key        BIGINT NOT NULL,
    visit_date       DATE   NOT NULL,   -- visits.visit_date
    departement      VARCHAR,           -- visits.departement (the department asked for in the journey)
    audience         VARCHAR,           -- visits.audience
    page_departement VARCHAR            -- department carried by the page's URL, NULL when none
);

-- The visits that viewed the "département non couvert" page, per day, department and audience of the visit, each
-- counted once whatever departments its views carried: derived from ``ineligible_views`` by the ETL (``finalize``, per
-- replaced day), so that a period's count sums a few rows per day instead of counting distinct visits (a visit has
-- one day, department and audience: additive over ``visits``).
CREATE TABLE ineligible_daily (
    visit_date  DATE    NOT NULL,
    departement VARCHAR,
    audience    VARCHAR,
    visits      BIGINT  NOT NULL
);

-- Visits per day and per value of the visit columns the journey figures group by, derived from ``visits`` by the
-- ETL (``finalize``, per replaced day), so that the funnel, the page table's entries and exits and the priority
-- list count a few rows per day instead of every visit. Additive over every column.
CREATE TABLE visits_daily (
    visit_date    DATE    NOT NULL,
    departement   VARCHAR,
    audience      VARCHAR,
    device_type   VARCHAR,
    entry_page    VARCHAR,
    exit_page     VARCHAR,
    reached_ds    BOOLEAN NOT NULL,
    journey_depth TINYINT NOT NULL,
    visits        BIGINT  NOT NULL
);

-- Visits per day, department and audience of the visit, and value of each Audience breakdown (device, browser,
-- system, referrer type, referrer, region, audience, visitor type: ``etl.warehouse.BREAKDOWN_KEYS``), derived from
-- ``visits`` by the ETL (``finalize``, per replaced day), so that a breakdown sums a few rows per day instead of
-- counting every visit; the rows of the ``audience`` breakdown cover every visit once (the audience totals sum
-- them). Additive over every count column.
CREATE TABLE visit_breakdowns_daily (
    breakdown   VARCHAR NOT NULL,
    visit_date  DATE    NOT NULL,
    departement VARCHAR,
    audience    VARCHAR,
    key         VARCHAR,                -- the visit's value for the breakdown (NULL: not given)
    region_name VARCHAR,                -- region breakdown: Matomo's region name, one of the day's (else NULL)
    visits      BIGINT  NOT NULL,
    bounces     BIGINT  NOT NULL,       -- visits of a single action
    ds          BIGINT  NOT NULL,       -- visits that clicked through to Démarches Simplifiées
    pageviews   BIGINT  NOT NULL,       -- sum of the visits' nb_pageviews
    duration    BIGINT  NOT NULL        -- sum of the visits' duration_s (seconds)
);

-- Visits per day, department and audience of the visit, day of the week and hour of its start (Paris time), derived
-- from ``visits`` by the ETL (``finalize``, per replaced day), so that the Audience heat map sums a few rows per day
-- instead of grouping every visit. Additive over ``visits``.
CREATE TABLE visits_hourly (
    visit_date  DATE    NOT NULL,
    departement VARCHAR,
    audience    VARCHAR,
    weekday     TINYINT NOT NULL,       -- isodow(started_at): 1 = Monday … 7 = Sunday
    hour        TINYINT NOT NULL,       -- hour(started_at): 0..23
    visits      BIGINT  NOT NULL
);

-- The visits that clicked through to Démarches Simplifiées with a non-negative delay (``visits.reached_ds``,
-- ``seconds_to_ds >= 0``): their day, department, audience, device and delay, derived from ``visits`` by the ETL
-- (``finalize``, per replaced day), so that the time-to-apply statistics read a quarter of the visits and five
-- narrow columns instead of filtering every visit.
CREATE TABLE ds_departures (
    visit_date    DATE    NOT NULL,
    departement   VARCHAR,
    audience      VARCHAR,
    device_type   VARCHAR,
    seconds_to_ds INTEGER NOT NULL
);

-- Decisions per day of decision (``dateTraitement``, Paris time), department, audience and contract category,
-- derived from ``dossiers`` by the ETL (``finalize``, rebuilt on every run: one grouping of the dossiers), so that
-- the decision rates count a few rows per day instead of every decided dossier. Additive over every column.
CREATE TABLE decisions_daily (
    day               DATE    NOT NULL,
    departement       VARCHAR,
    audience          VARCHAR,
    contract_category VARCHAR,
    acceptes          BIGINT  NOT NULL,
    refuses           BIGINT  NOT NULL,
    sans_suite        BIGINT  NOT NULL
);

-- Page views per day, department and audience of the visit, derived from actions by the ETL (``finalize``), so
-- that the page table of the Parcours page reads days, not actions. Additive over days, departments and
-- audiences: every visit belongs to exactly one (visit_date, departement, audience).
CREATE TABLE page_views_daily (
    visit_date  DATE    NOT NULL,
    departement VARCHAR,
    audience    VARCHAR,
    page_key    VARCHAR,
    visits      BIGINT  NOT NULL,       -- visits that viewed the page at least once
    pageviews   BIGINT  NOT NULL,       -- views of the page (a reload counts twice)
    seconds     BIGINT,                 -- time on the views followed by another action of the visit
    timed       BIGINT  NOT NULL,       -- number of those views with a time
    ds_after    BIGINT  NOT NULL        -- visits that clicked through to DS after their first view of the page
);

-- Daily totals (VisitsSummary.get), with the state of the raw log for that day.
CREATE TABLE matomo_daily (
    site_id          INTEGER NOT NULL,
    day              DATE NOT NULL,
    nb_visits        INTEGER NOT NULL,
    nb_actions       INTEGER NOT NULL,
    nb_uniq_visitors INTEGER,
    bounce_count     INTEGER NOT NULL,
    sum_visit_length INTEGER NOT NULL,  -- seconds
    max_actions      INTEGER,
    -- filled by the Warehouse after load:
    raw_status       VARCHAR NOT NULL DEFAULT 'empty', -- 'available' | 'purged' | 'empty'
    raw_visits       INTEGER NOT NULL DEFAULT 0,       -- visits loaded from the raw log for that day
    gap              INTEGER NOT NULL DEFAULT 0,       -- nb_visits - raw_visits
    PRIMARY KEY (site_id, day)
);

-- Daily page reports (Actions.getPageUrls / getEntryPageUrls / getExitPageUrls, flat).
CREATE TABLE matomo_pages_daily (
    site_id         INTEGER NOT NULL,
    day             DATE NOT NULL,
    report          VARCHAR NOT NULL,   -- 'pages' | 'entry' | 'exit'
    url             VARCHAR NOT NULL,   -- sanitised label/url
    page_key        VARCHAR,
    nb_visits       INTEGER,
    nb_hits         INTEGER,
    entry_nb_visits INTEGER,
    exit_nb_visits  INTEGER,
    sum_time_spent  INTEGER
);
