// The edge's CloudFront Functions runtime: runs a distribution's viewer-request functions under node,
// as CloudFront runs them (harness/edge/functions.py starts it and speaks to it).
//
// One JSON message per line on stdin, one answer per line on stdout:
//   {"load": <name>, "code": <the function's code>}  -> {"loaded": <name>} | {"error": <why>}
//   {"run": <name>, "event": <the event object>}     -> {"result": <what handler returned>} | {"error": <why>}
// Each function is evaluated once, in a context of its own holding nothing but the language: no
// require, no process, no timers, no network (CloudFront's runtime has none either); console.log is
// collected and dropped. A handler may be async (cloudfront-js-2.0); one that runs longer than
// RUN_MS is stopped: CloudFront stops a function that uses too much of its compute budget.
"use strict";

const readline = require("readline");
const vm = require("vm");

const RUN_MS = 200;
const contexts = new Map();

function load(name, code) {
    const context = vm.createContext({ console: { log() {}, warn() {}, error() {} } });
    vm.runInContext(code, context, { filename: name, timeout: RUN_MS });
    if (typeof context.handler !== "function") {
        throw new Error("the code defines no function named handler");
    }
    contexts.set(name, context);
}

async function run(name, event) {
    const context = contexts.get(name);
    if (context === undefined) {
        throw new Error(`function ${name} is not loaded`);
    }
    context.__event = JSON.parse(JSON.stringify(event)); // the function's own copy
    const result = await vm.runInContext("handler(__event)", context, { timeout: RUN_MS });
    if (result === undefined || result === null || typeof result !== "object") {
        throw new Error("the handler returned no request or response object");
    }
    return JSON.parse(JSON.stringify(result)); // plain data, as CloudFront reads it back
}

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on("line", (line) => {
    queue = queue.then(async () => {
        let answer;
        try {
            const message = JSON.parse(line);
            if (message.load !== undefined) {
                load(message.load, message.code);
                answer = { loaded: message.load };
            } else {
                answer = { result: await run(message.run, message.event) };
            }
        } catch (error) {
            answer = { error: `${error && error.name ? error.name + ": " : ""}${error && error.message ? error.message : error}` };
        }
        process.stdout.write(JSON.stringify(answer) + "\n");
    });
});
