// The objects of the app's Prisma migration 20250930165011_add_organizations_multi_tenant:
// "Organization", "OrganizationMember", "EmailAccount"."organizationId", seats on "Premium".
import { defineMigration } from '../lib/migration.ts';

export default defineMigration({
  prismaMigration: '20250930165011_add_organizations_multi_tenant',
  up: [
    '110_create_organization_role_enum.sql',
    '111_create_organization_table.sql',
    '112_create_organization_member_table.sql',
    '113_add_email_account_organization_id.sql',
    '114_add_premium_seat_columns.sql',
    '120_index_organization_slug_key.sql',
    '121_index_organization_domain_key.sql',
    '122_index_organization_slug_idx.sql',
    '123_index_organization_member_user_id_organization_id_key.sql',
    '124_index_organization_member_organization_id_idx.sql',
    '125_index_organization_member_user_id_idx.sql',
    '126_index_email_account_organization_id_idx.sql',
    '130_add_organization_premium_id_fkey.sql',
    '131_add_organization_member_user_id_fkey.sql',
    '132_add_organization_member_organization_id_fkey.sql',
    '133_add_email_account_organization_id_fkey.sql',
    '140_validate_organization_premium_id_fkey.sql',
    '141_validate_organization_member_user_id_fkey.sql',
    '142_validate_organization_member_organization_id_fkey.sql',
    '143_validate_email_account_organization_id_fkey.sql',
  ],
  // Checked before a `down` that reaches this migration undoes anything (the new app's data).
  downGuard: '000_refuse_while_new_app_data.sql',
  down: [
    '113_add_email_account_organization_id.sql',
    '114_add_premium_seat_columns.sql',
    '112_create_organization_member_table.sql',
    '111_create_organization_table.sql',
    '110_create_organization_role_enum.sql',
    // Last: the "_prisma_migrations" row the package recorded goes once the objects are gone.
    '100_prisma_history_add_organizations_multi_tenant.sql',
  ],
});
