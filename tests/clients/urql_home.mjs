// urql in Node with its persisted exchange (defaults: SHA-256 by WebCrypto, GET for hashed
// queries within the URL limit). Runs the home query given in a file against a running gateway
// and prints one JSON line: every HTTP exchange and each run's data and errors.
//
//   node urql_home.mjs URL TOKEN QUERY_FILE RUNS
import { readFileSync } from "node:fs";

import { Client, cacheExchange, fetchExchange, gql } from "@urql/core";
import { persistedExchange } from "@urql/exchange-persisted";

const [url, token, queryFile, runs] = process.argv.slice(2);
const query = gql(readFileSync(queryFile, "utf8"));
const exchanges = [];

async function recordingFetch(input, init) {
  let sent;
  if (init?.body) {
    sent = JSON.parse(init.body);
  } else {
    const params = new URL(String(input)).searchParams;
    const extensions = params.get("extensions");
    sent = { query: params.get("query") ?? undefined, extensions: extensions && JSON.parse(extensions) };
  }
  const response = await fetch(input, init);
  const body = await response.clone().json();
  exchanges.push({
    method: init?.method ?? "GET",
    sentQuery: typeof sent.query === "string",
    sentHash: sent.extensions?.persistedQuery?.sha256Hash ?? null,
    status: response.status,
    codes: (body.errors ?? []).map((e) => e.extensions?.code ?? null),
  });
  return response;
}

const results = [];
for (let i = 0; i < Number(runs); i++) {
  const client = new Client({
    url,
    exchanges: [cacheExchange, persistedExchange(), fetchExchange],
    fetch: recordingFetch,
    fetchOptions: { headers: { authorization: `Bearer ${token}` } },
    requestPolicy: "network-only",
  });
  const result = await client.query(query, {}).toPromise();
  results.push({
    data: result.data ?? null,
    errors: (result.error?.graphQLErrors ?? []).map((e) => ({ path: e.path, extensions: e.extensions })),
    networkError: result.error?.networkError ? String(result.error.networkError) : null,
  });
}
console.log(JSON.stringify({ exchanges, results }));
