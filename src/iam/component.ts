// The IAM component: its store, its API service, the access keys of IAM users as a credential source,
// and the bootstrap admin every state starts with.
import type { CredentialSource, Service, TwinRuntime } from "../core/service.ts";
import type { Store } from "../store/sqlite.ts";
import { awsManagedPolicies, awsManagedPolicyArn } from "./managed-policies.ts";
import type { IamDirectory } from "./model.ts";
import { iamOperations } from "./operations.ts";
import type { IamDeps } from "./operations-context.ts";
import { createUserRecord, newAccessKey } from "./operations-users.ts";
import { IamStore } from "./store.ts";

export interface IamComponent {
  service: Service;
  directory: IamDirectory;
  credentials: CredentialSource;
  bootstrapAdmin(): { userName: string; accessKeyId: string; secretAccessKey: string };
}

export const ADMIN_USER = "keyship-admin";
const ADMIN_KEY_SETTING = "iam.adminAccessKeyId";
const ADMIN_POLICY = awsManagedPolicyArn(awsManagedPolicies.find((p) => p.name === "AdministratorAccess")!);

export function createIam(store: Store, rt: TwinRuntime): IamComponent {
  const iam = new IamStore(store, rt.accountId);
  const deps: IamDeps = { store, iam, rt };

  const credentials: CredentialSource = {
    lookup(accessKeyId) {
      const key = iam.getAccessKey(accessKeyId);
      if (key?.Status !== "Active") return undefined;
      const user = iam.getUser(key.UserName);
      if (!user) return undefined;
      return {
        secretAccessKey: key.SecretAccessKey,
        principal: {
          type: "User",
          arn: user.Arn,
          accountId: rt.accountId,
          userId: user.UserId,
          name: user.UserName,
          accessKeyId: key.AccessKeyId,
        },
      };
    },
  };

  /**
   * The state's administrator: IAM user keyship-admin with AdministratorAccess attached (allowed through
   * a policy like any other user, not a bypass) and one access key generated for this state. Recreated
   * if it was deleted; its key id is remembered in the state's settings.
   */
  function bootstrapAdmin() {
    return store.tx(() => {
      if (!iam.getUser(ADMIN_USER)) createUserRecord(deps, ADMIN_USER, "/");
      if (!iam.isAttached("user", ADMIN_USER, ADMIN_POLICY)) iam.attach("user", ADMIN_USER, ADMIN_POLICY);
      const known = store.getSetting(ADMIN_KEY_SETTING);
      let key = known ? iam.getAccessKey(known) : undefined;
      if (!key || key.UserName !== ADMIN_USER || key.Status !== "Active") {
        // Keep within AWS's two-keys quota: drop the oldest key the admin no longer uses.
        const keys = iam.accessKeysOf(ADMIN_USER);
        if (keys.length >= 2) iam.deleteAccessKey(keys[0]!.AccessKeyId);
        key = newAccessKey(deps, ADMIN_USER);
        store.setSetting(ADMIN_KEY_SETTING, key.AccessKeyId);
      }
      return { userName: ADMIN_USER, accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
    });
  }

  const service: Service = {
    name: "iam",
    protocol: "query",
    xmlNamespace: "https://iam.amazonaws.com/doc/2010-05-08/",
    operations: iamOperations(deps),
  };

  return { service, directory: iam, credentials, bootstrapAdmin };
}
