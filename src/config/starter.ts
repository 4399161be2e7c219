/**
 * The file `marshal init` writes. It must stay valid (a test loads it) and
 * runnable as is, so what needs files of the user's own (an artifact, a
 * started process) is shown commented out.
 */

/** A commented starter marshal.yaml. */
export const STARTER_CONFIG = `# marshal.yaml — how this project is deployed.
# Check it with \`marshal validate\`; preview a deploy with \`marshal plan dev\`.
# Every key is described in docs/config-reference.md.

project: my-app

# More files adding services and environments (paths or globs, relative to this file):
# include:
#   - services/*.yaml

defaults:
  timeout: 10m            # per-step time limit: 250ms, 5s, 1m30s, 2h
  retry:
    attempts: 2           # total attempts, including the first
    backoff: 1s
  keepReleases: 5         # releases kept on each host, for rollback
  variables:              # {{ env.NAME }} in templates; exported to commands
    LOG_LEVEL: info

services:
  db:
    description: Database schema
    version: "1.0.0"      # quote versions: YAML reads 1.10 as the number 1.1
    steps:
      - name: migrate
        run: echo migrating to {{ version }}
    rollback:             # replaces the default rollback ([restore])
      - name: migrate-back
        run: echo migrating back to {{ version }}

  web:
    description: The web application
    needs: [db]           # deployed only after db succeeded and is healthy
    version: "1.0.0"
    # artifact: ./build   # a directory copied into releases/<version> on each host
    steps:
      - name: announce
        run: echo deploying {{ service }} {{ version }} to {{ environment }} on {{ host.name }}:{{ host.port }}
    # start:              # a supervised process, restarted on each release (needs an artifact)
    #   command: node server.js
    #   port: "{{ host.port }}"
    health:
      command: test -n {{ version }}
      # http:
      #   url: http://127.0.0.1:{{ host.port }}/health
      interval: 1s
      failureThreshold: 30
    strategy:
      type: rolling       # or all-at-once
      batchSize: 50%      # a count, a percentage, or a growing list such as [1, 50%]
      pause: 5s

environments:
  dev:
    variables:
      LOG_LEVEL: debug
    groups:               # target groups; a service runs on the group named like it (or its group:)
      db:
        hosts: [dev-db]
      web:
        hosts:
          - name: dev-web
            vars: { port: 8080 }   # {{ host.port }}

  production:
    concurrency: 4        # most steps running at once in this environment
    groups:
      db:
        hosts: [db1]
      web:
        hosts:
          - name: web1
            vars: { port: 8080 }
          - name: web2
            vars: { port: 8081 }
`;
