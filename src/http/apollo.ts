import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type http from 'node:http';
import type { Context } from '../context';
import { refusal, type GraphQLPipeline } from './pipeline';

/**
 * Apollo on the pipeline: its schema, formatter and documents are the pipeline's. The gate parses
 * and validates, once per document: Apollo is handed its parsed documents by hash (its document
 * store) with its own validation off, and a refused one is answered by the plugin below. Every
 * operation Apollo is about to run passes `pipeline.admit`. Nothing reaches Apollo's execution
 * that the gate did not pass.
 */
export async function startApollo(pipeline: GraphQLPipeline, httpServer: http.Server, options: { introspection: boolean; production: boolean }): Promise<ApolloServer<Context>> {
  const apollo = new ApolloServer<Context>({
    schema: pipeline.schema,
    introspection: options.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    formatError: pipeline.format,
    dangerouslyDisableValidation: true,
    documentStore: {
      get: async (key: string) => pipeline.gate.forApollo(key.slice(key.lastIndexOf(':') + 1)),
      set: async () => undefined,
      delete: async () => true,
    },
    // main.ts owns SIGTERM/SIGINT. Apollo's own handlers (on unless NODE_ENV=test) would stop it
    // first and re-send the signal, and main's second apollo.stop() then never settles: the drain
    // hung until the force-exit timer, and app.close() (presence grace, Redis, Postgres) never ran.
    stopOnTerminationSignals: false,
    plugins: [
      {
        async requestDidStart() {
          return {
            // Judged here (an error thrown here would be a 500), answered below, where a thrown
            // error is the response: the document store hands Apollo a refused document as an
            // empty one, so Apollo neither parses nor runs it.
            async didResolveSource({ source, queryHash }) {
              pipeline.document(source, queryHash);
            },
            async didResolveOperation({ source, queryHash, operation, request }) {
              const { errors } = pipeline.document(source, queryHash);
              if (errors) throw refusal(errors);
              const refused = pipeline.admit('apollo', operation?.operation, request.operationName ?? operation?.name?.value);
              if (refused) throw refused;
            },
          };
        },
      },
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No cache hints exist here (every response is private and live); the implicit cache-control
      // plugin would only wrap every field resolver of the shared schema, WebSocket events included.
      ApolloServerPluginCacheControlDisabled(),
      ...(options.production ? [ApolloServerPluginDisableSuggestions()] : []),
    ],
  });
  await apollo.start();
  return apollo;
}
