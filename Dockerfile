# The service image: Node 24 LTS, built in one stage, run from another with production
# dependencies only, as the unprivileged "node" user. `docker build .` gives the service alone
# (node dist/main.js); `--target demo` gives the demo (try page; what docker-compose runs).
# tools/check-image.sh checks what it can of this file without a Docker engine (CI runs it).

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# The demo: the whole repository with dev dependencies (tsx, the embedded FHIR server).
FROM node:24-bookworm-slim AS demo
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY . .
RUN mkdir -p /app/data && chown node:node /app/data
USER node
ENV PORT=3000
EXPOSE 3000
CMD ["node", "--import", "tsx", "demo/main.ts"]

# The service (default target).
FROM node:24-bookworm-slim AS service
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY cards ./cards
COPY cql/elm ./cql/elm
COPY cql/valuesets ./cql/valuesets
COPY cql/*.cql ./cql/
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
