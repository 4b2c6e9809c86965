// Re-exports for the machines modules: shell quoting and the lab's error type.
export { sh } from "../../render/quote.js";
export { LabError } from "../exec.js";
