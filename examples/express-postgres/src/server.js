const express = require("express");
const { pool, migrate } = require("./db");

const app = express();
app.use(express.json());

app.get("/health", async (_req, res) => {
  try {
    await pool.query("SELECT 1");
    res.json({ status: "ok" });
  } catch (err) {
    res.status(503).json({ status: "database unavailable" });
  }
});

app.get("/orders", async (_req, res) => {
  const { rows } = await pool.query("SELECT id, item, created_at FROM orders ORDER BY id DESC LIMIT 50");
  res.json(rows);
});

app.post("/orders", async (req, res) => {
  if (!req.body || typeof req.body.item !== "string") {
    return res.status(400).json({ error: "item (string) is required" });
  }
  const { rows } = await pool.query("INSERT INTO orders (item) VALUES ($1) RETURNING id, item", [req.body.item]);
  res.status(201).json(rows[0]);
});

const port = process.env.PORT || 3000;
migrate()
  .catch((err) => console.error("migration failed:", err.message))
  .finally(() => app.listen(port, () => console.log(`orders API listening on ${port}`)));
