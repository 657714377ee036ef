const { Pool } = require("pg");

// DATABASE_URL comes from the deployment (Secrets Manager); the default suits local development.
const pool = new Pool({
  connectionString: process.env.DATABASE_URL || "postgres://app:app@localhost:5432/app",
});

async function migrate() {
  await pool.query(
    "CREATE TABLE IF NOT EXISTS orders (id SERIAL PRIMARY KEY, item TEXT NOT NULL, created_at TIMESTAMPTZ DEFAULT now())"
  );
}

module.exports = { pool, migrate };
