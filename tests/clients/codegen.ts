// GraphQL Code Generator for govgraph's operations: the custom scalars are strings on the wire
// (ISO dates, ISO date-times with offset, exact decimals), so they map to `string`.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema/schema.graphql",
  documents: ["../../schema/examples/*.graphql"],
  generates: {
    [process.env.CODEGEN_OUT ?? "generated/graphql.ts"]: {
      plugins: ["typescript", "typescript-operations"],
      config: {
        scalars: {
          Date: "string",
          DateTime: "string",
          Decimal: "string",
        },
        strictScalars: true,
      },
    },
  },
};

export default config;
