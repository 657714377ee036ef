const { Queue } = require("bullmq");

// BullMQ keeps jobs in Redis; REDIS_URL is set by the deployment.
const connection = { url: process.env.REDIS_URL || "redis://localhost:6379" };
const emails = new Queue("emails", { connection });

module.exports = { connection, emails };
