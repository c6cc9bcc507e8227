// A supergraph of govgraph and a small "contact preferences" subgraph, for the federation tests.
//
// Reads govgraph's subgraph SDL (as `_service { sdl }` gave it) from the file named by
// GOVGRAPH_SDL and its URL from GOVGRAPH_URL; composes both subgraphs with @apollo/composition;
// serves the second subgraph and an @apollo/gateway (which forwards the caller's Authorization
// header to every subgraph); prints one JSON line {"gateway": url, "subgraph": url, "hints": n}
// and runs until stdin closes. CITIZEN_IDS (a JSON array of Citizen ids) seeds the second
// subgraph's data: each citizen gets a preference, and `enquiries` names each citizen.
import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";

const govgraphSdl = readFileSync(process.env.GOVGRAPH_SDL, "utf8");
const govgraphUrl = process.env.GOVGRAPH_URL;
const citizenIds = JSON.parse(process.env.CITIZEN_IDS || "[]");

const preferencesSdl = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])

  type Citizen @key(fields: "id") {
    id: ID!
    "How the citizen prefers to be contacted (held by the contact-preferences service)."
    contactPreference: ContactPreference
  }

  type ContactPreference {
    channel: String!
    language: String!
  }

  type Enquiry {
    reference: String!
    citizen: Citizen!
  }

  type Query {
    "Open enquiries, each naming the citizen it is about."
    enquiries: [Enquiry!]!
  }
`;

const channels = ["email", "post", "sms"];
const resolvers = {
  Citizen: {
    __resolveReference(ref) {
      const i = citizenIds.indexOf(ref.id);
      return { id: ref.id, index: i };
    },
    contactPreference(citizen) {
      if (citizen.index < 0) return null;
      return { channel: channels[citizen.index % channels.length], language: "en" };
    },
  },
  Query: {
    enquiries() {
      return citizenIds.map((id, i) => ({ reference: `ENQ-${i + 1}`, citizen: { id } }));
    },
  },
};

const subgraph = new ApolloServer({
  schema: buildSubgraphSchema([{ typeDefs: parse(preferencesSdl), resolvers }]),
});
const { url: subgraphUrl } = await startStandaloneServer(subgraph, {
  listen: { host: "127.0.0.1", port: 0 },
});

const composed = composeServices([
  { name: "govgraph", typeDefs: parse(govgraphSdl), url: govgraphUrl },
  { name: "preferences", typeDefs: parse(preferencesSdl), url: subgraphUrl },
]);
if (composed.errors) {
  console.error(JSON.stringify({ errors: composed.errors.map((e) => e.message) }));
  process.exit(3);
}

class ForwardAuthorization extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    if (context.authorization) {
      request.http.headers.set("authorization", context.authorization);
    }
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: composed.supergraphSdl,
  buildService: ({ url }) => new ForwardAuthorization({ url }),
});
const server = new ApolloServer({ gateway });
const { url: gatewayUrl } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: 0 },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});

console.log(
  JSON.stringify({
    gateway: gatewayUrl,
    subgraph: subgraphUrl,
    hints: composed.hints.length,
  }),
);

process.stdin.resume();
process.stdin.on("end", async () => {
  await server.stop();
  await subgraph.stop();
  process.exit(0);
});
