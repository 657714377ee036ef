const express = require("express");
const { emails } = require("./queue");

const app = express();
app.use(express.json());

app.get("/status", (_req, res) => res.json({ status: "ok" }));

app.post("/signup", async (req, res) => {
  const email = req.body && req.body.email;
  if (typeof email !== "string") return res.status(400).json({ error: "email is required" });
  const job = await emails.add("welcome", { email });
  res.status(202).json({ queued: job.id });
});

const port = process.env.PORT || 5000;
app.listen(port, () => console.log(`web listening on ${port}`));
