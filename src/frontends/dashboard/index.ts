export { createDashboard, githubWebUrl, type DashboardOptions } from './dashboard.js';
