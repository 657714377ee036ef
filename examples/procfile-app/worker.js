const { Worker } = require("bullmq");
const { connection } = require("./queue");

// Sends welcome emails queued by web.js (logged here; a real app would call an email API).
new Worker(
  "emails",
  async (job) => {
    console.log(`welcome email to ${job.data.email}`);
    return { sent: true };
  },
  { connection }
);
console.log("worker waiting for jobs");
