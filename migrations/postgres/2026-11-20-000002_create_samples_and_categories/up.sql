-- One column of every type model! supports, for round-trip tests.
CREATE TABLE samples (
    id BIGSERIAL PRIMARY KEY,
    small SMALLINT NOT NULL,
    int32 INTEGER NOT NULL,
    int64 BIGINT NOT NULL,
    real32 REAL NOT NULL,
    real64 DOUBLE PRECISION NOT NULL,
    flag BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    note TEXT,
    code VARCHAR(8) NOT NULL,
    at TIMESTAMP NOT NULL,
    day DATE NOT NULL,
    clock TIME NOT NULL,
    bytes BYTEA NOT NULL,
    doc JSON NOT NULL,
    rank INTEGER DEFAULT 7
);

-- A model with a 32-bit key and a reference to itself.
CREATE TABLE categories (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id INTEGER REFERENCES categories (id)
);
