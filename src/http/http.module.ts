// The Nest module of the HTTP API: thin controllers over one shared HttpContext.
import { Module, type DynamicModule } from '@nestjs/common';

import { HttpContext } from './context';
import { AclController } from './controllers/acl.controller';
import { AgentController } from './controllers/agent.controller';
import { AgentChecksController } from './controllers/agent-checks.controller';
import { AgentServicesController } from './controllers/agent-services.controller';
import { CatalogController } from './controllers/catalog.controller';
import { HealthController } from './controllers/health.controller';
import { KvController } from './controllers/kv.controller';
import { OperatorController } from './controllers/operator.controller';
import { RootController } from './controllers/root.controller';
import { StatusController } from './controllers/status.controller';
import { TxnController } from './controllers/txn.controller';

@Module({})
export class HttpApiModule {
  static forContext(context: HttpContext): DynamicModule {
    return {
      module: HttpApiModule,
      controllers: [
        RootController,
        KvController,
        TxnController,
        StatusController,
        OperatorController,
        AgentController,
        AgentServicesController,
        AgentChecksController,
        CatalogController,
        HealthController,
        AclController,
      ],
      providers: [{ provide: HttpContext, useValue: context }],
    };
  }
}
