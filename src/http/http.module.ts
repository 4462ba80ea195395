// The Nest module of the HTTP API: thin controllers over one shared context, assembled for a
// server (every endpoint) or a client agent (its own endpoints; the rest is forwarded).
import { Module, type DynamicModule } from '@nestjs/common';

import { AgentContext, HttpContext } from './context';
import { AclController } from './controllers/acl.controller';
import { AgentTokenController } from './controllers/agent-token.controller';
import { AgentController } from './controllers/agent.controller';
import { AgentChecksController } from './controllers/agent-checks.controller';
import { AutopilotController } from './controllers/autopilot.controller';
import { AgentServicesController } from './controllers/agent-services.controller';
import { AgentTelemetryController } from './controllers/agent-telemetry.controller';
import { CatalogController } from './controllers/catalog.controller';
import { CoordinateController } from './controllers/coordinate.controller';
import { EventController } from './controllers/event.controller';
import { HealthController } from './controllers/health.controller';
import { KeyringController } from './controllers/keyring.controller';
import { KvController } from './controllers/kv.controller';
import { MembershipController } from './controllers/membership.controller';
import { OperatorController } from './controllers/operator.controller';
import { SnapshotController } from './controllers/snapshot.controller';
import { RootController } from './controllers/root.controller';
import { QueryController } from './controllers/query.controller';
import { SessionController } from './controllers/session.controller';
import { StatusController } from './controllers/status.controller';
import { TxnController } from './controllers/txn.controller';
import { UiController } from './controllers/ui.controller';

/** The endpoints every agent answers itself, server or client. */
const AGENT_CONTROLLERS = [
  RootController,
  AgentController,
  AgentServicesController,
  AgentChecksController,
  AgentTelemetryController,
  AgentTokenController,
  MembershipController,
  EventController,
  KeyringController,
];

@Module({})
export class HttpApiModule {
  static forServer(context: HttpContext): DynamicModule {
    return {
      module: HttpApiModule,
      controllers: [
        ...AGENT_CONTROLLERS,
        KvController,
        TxnController,
        StatusController,
        OperatorController,
        AutopilotController,
        SnapshotController,
        CatalogController,
        HealthController,
        CoordinateController,
        AclController,
        SessionController,
        QueryController,
        UiController,
      ],
      providers: [
        { provide: HttpContext, useValue: context },
        { provide: AgentContext, useValue: context },
      ],
    };
  }

  /** A client agent: its own endpoints; the rest is forwarded to a server. */
  static forClient(context: AgentContext): DynamicModule {
    return {
      module: HttpApiModule,
      controllers: AGENT_CONTROLLERS,
      providers: [{ provide: AgentContext, useValue: context }],
    };
  }
}
