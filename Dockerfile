# The backend (API, training queue and scheduler, dashboard) as a container image.
# The edge is not in it: it deploys to Cloudflare (`npm run deploy`, docs/deploy.md).
#
#   docker build -t edge-recs-backend .
#   docker run -p 8788:8788 --env-file backend.env edge-recs-backend
#
# Configuration comes from the environment only (README "Configuration",
# docs/deploy.md); the image holds no secret. NODE_IMAGE lets a build use a mirrored or
# pinned base with Node 20 and npm.
ARG NODE_IMAGE=node:20-bookworm-slim
FROM ${NODE_IMAGE}

WORKDIR /app
ENV NODE_ENV=production

# Production dependencies only. No install scripts: onnxruntime-node's would download
# CUDA libraries (its CPU build ships in the package), and nothing else the backend uses
# needs one (esbuild finds its platform binary without its check).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# The backend runs its TypeScript through tsx, a production dependency; it imports the
# shared models/ and its own migrations and dashboard sources.
COPY tsconfig.json ./
COPY models ./models
COPY backend ./backend

USER node
ENV HOST=0.0.0.0 PORT=8788
EXPOSE 8788
# Node's own check: no curl in the slim image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8788)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--import", "tsx", "backend/server.ts"]
