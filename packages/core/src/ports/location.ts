/** Where a resource lives: AWS accounts and regions are namespaces locally too. */
export interface AccountRegion {
  accountId: string;
  region: string;
}

/** A location plus the role to assume there (cross-account access from the pipeline's account). */
export interface AccessScope extends AccountRegion {
  roleArn?: string;
}
