// Apollo Client in Node, set up as its docs say: the persisted-query link in front of an HTTP
// link, errorPolicy "all". Runs the home query given in a file against a running gateway and
// prints one JSON line: every HTTP exchange (whether it carried the text, the hash, the error
// codes back) and each run's data and errors.
//
//   node apollo_home.mjs URL TOKEN QUERY_FILE RUNS
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const [url, token, queryFile, runs] = process.argv.slice(2);
const query = gql(readFileSync(queryFile, "utf8"));
const exchanges = [];

async function recordingFetch(input, init) {
  const sent = JSON.parse(init.body);
  const response = await fetch(input, init);
  const body = await response.clone().json();
  exchanges.push({
    sentQuery: typeof sent.query === "string",
    sentHash: sent.extensions?.persistedQuery?.sha256Hash ?? null,
    status: response.status,
    codes: (body.errors ?? []).map((e) => e.extensions?.code ?? null),
  });
  return response;
}

function client() {
  const sha256 = (text) => createHash("sha256").update(text).digest("hex");
  const http = new HttpLink({
    uri: url,
    headers: { authorization: `Bearer ${token}` },
    fetch: recordingFetch,
  });
  return new ApolloClient({
    link: new PersistedQueryLink({ sha256 }).concat(http),
    cache: new InMemoryCache(),
  });
}

const results = [];
for (let i = 0; i < Number(runs); i++) {
  // A fresh client each run, as a new app start would be: nothing cached but the server's.
  const result = await client().query({ query, errorPolicy: "all", fetchPolicy: "network-only" });
  const errors = CombinedGraphQLErrors.is(result.error) ? result.error.errors : [];
  results.push({
    data: result.data ?? null,
    errors: errors.map((e) => ({ path: e.path, extensions: e.extensions })),
    otherError: result.error && !CombinedGraphQLErrors.is(result.error) ? String(result.error) : null,
  });
}
console.log(JSON.stringify({ exchanges, results }));
